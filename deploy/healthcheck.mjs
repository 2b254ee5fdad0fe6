// The image's HEALTHCHECK: MODE=api answers GET /health with 200 (database and Redis reachable);
// a worker or a migrate job has no HTTP port, so its health is the process running. What it prints
// shows in `docker inspect`'s health log.
const mode = process.env.MODE ?? 'api';
if (mode !== 'api') process.exit(0);
const port = process.env.DIFY_PORT ?? '5001';
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5000) });
  console.log(`GET /health: ${res.status} ${await res.text()}`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (error) {
  console.log(`GET /health: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
