"""The Flask peer of bench/hot-path.mjs: the same work as difyctl's authenticated app list, in Dify's
own stack (Flask + gunicorn/gevent + SQLAlchemy + psycopg2 + PyJWT), from Debian's packages.

  GET /health                 shallow: a constant JSON body (Dify's /health is shallow too)
  GET /console/api/apps       HS256 JWT check with SECRET_KEY, then one query for a page of 20 apps

Run: gunicorn -k gevent -w 2 --worker-connections 1000 -b 127.0.0.1:PORT bench.peers.flask_apps:app
with SECRET_KEY and DATABASE_URL in the environment (psycogreen is not in Debian: psycopg2 calls
block the gevent loop, exactly as in a Dify install without it).
"""
import os

import jwt
from flask import Flask, jsonify, request
from sqlalchemy import create_engine, text

app = Flask(__name__)
SECRET_KEY = os.environ["SECRET_KEY"]
engine = create_engine(os.environ["DATABASE_URL"], pool_size=30, max_overflow=10, pool_pre_ping=False)

LIST = text(
    "SELECT id, name, description, mode, icon_type, icon, icon_background, enable_site, enable_api,"
    " api_rpm, api_rph, status, created_by, extract(epoch from created_at)::bigint AS created_at,"
    " extract(epoch from updated_at)::bigint AS updated_at, count(*) OVER () AS total"
    " FROM apps WHERE tenant_id = :tenant AND status = 'normal'"
    " ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset"
)


@app.get("/health")
def health():
    return jsonify(status="ok", pid=os.getpid())


@app.get("/console/api/apps")
def list_apps():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return jsonify(code="unauthorized", message="Invalid Authorization header format.", status=401), 401
    try:
        claims = jwt.decode(header[7:], SECRET_KEY, algorithms=["HS256"], options={"verify_iss": False})
    except jwt.PyJWTError:
        return jsonify(code="unauthorized", message="Invalid or expired access token.", status=401), 401
    page = int(request.args.get("page", 1))
    limit = int(request.args.get("limit", 20))
    with engine.connect() as conn:
        rows = conn.execute(LIST, {"tenant": claims["tid"], "limit": limit, "offset": (page - 1) * limit}).mappings().all()
    total = rows[0]["total"] if rows else 0
    data = [{k: (str(v) if k in ("id", "created_by") and v is not None else v) for k, v in r.items() if k != "total"} for r in rows]
    return jsonify(page=page, limit=limit, total=total, has_more=page * limit < total, data=data)
