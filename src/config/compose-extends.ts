import path from 'node:path';
import { cloneValue, mergeService } from './compose-merge.js';
import type { ComposeScope, LoadContext } from './compose-scope.js';
import { isYamlMap, type YamlMap } from './yaml-values.js';
import { composeError } from './errors.js';

/**
 * A service's `extends` (compose-spec 05-services.md#extends, compose-go `loader/extends.go`):
 * `extends: base` or `extends: {service, file?}`. The base (itself resolved first) is copied and the
 * service merged onto it with compose's merge rules. A `file` is relative to the file that names it,
 * read with the same variables, without its own `include`; its relative paths stay relative to it.
 */

interface Frame {
  file: string;
  service: string;
}

/** A file an `extends` names, parsed once per variable set (it may be named by many services). */
type BaseFiles = Map<string, YamlMap>;

function baseServices(
  ctx: LoadContext,
  files: BaseFiles,
  args: { scope: ComposeScope; file: string; at: ReturnType<LoadContext['at']> },
): { services: YamlMap; scope: ComposeScope } {
  const abs = path.resolve(args.scope.workingDir, args.file);
  const source = ctx.read(abs, 'compose file named by extends', args.at);
  const scope: ComposeScope = { ...args.scope, source, workingDir: path.dirname(abs) };
  let root = files.get(abs);
  if (!root) files.set(abs, (root = ctx.parse(scope)));
  const services = root.services;
  if (!isYamlMap(services))
    throw composeError(`${source.display} has no \`services\` mapping to extend`, {
      location: args.at,
    });
  return { services, scope };
}

function resolveService(
  ctx: LoadContext,
  files: BaseFiles,
  args: { name: string; services: YamlMap; scope: ComposeScope; chain: Frame[] },
): YamlMap | undefined {
  const { name, services, scope, chain } = args;
  const service = services[name];
  if (!isYamlMap(service)) return undefined;
  const ext = service.extends;
  if (ext === undefined || ext === null) return service;

  let ref: string;
  let refAt = ctx.at(service, 'extends');
  let file: string | undefined;
  if (typeof ext === 'string') ref = ext;
  else if (isYamlMap(ext) && typeof ext.service === 'string') {
    ref = ext.service;
    refAt = ctx.at(ext, 'service');
    if (ext.file !== undefined && ext.file !== null) {
      if (typeof ext.file !== 'string') throw ctx.error(`service "${name}": extends.file must be a path`, ext, 'file');
      file = ext.file;
    }
  } else
    throw ctx.error(
      `service "${name}": extends needs a service: \`extends: base\` or \`extends: {service: base, file: other.yaml}\``,
      service,
      'extends',
    );

  const base = file
    ? baseServices(ctx, files, { scope, file, at: ctx.at(ext as YamlMap, 'file') })
    : { services, scope }; // a file is only read from the mapping form
  if (!(ref in base.services)) {
    throw composeError(`service "${name}" extends "${ref}", which is not defined in ${base.scope.source.display}`, {
      location: refAt,
      hint: `Known services there: ${Object.keys(base.services).join(', ') || 'none'}.`,
    });
  }
  const here: Frame = { file: scope.source.display, service: name };
  const target: Frame = { file: base.scope.source.display, service: ref };
  const frames = [...chain, here];
  if (frames.some((f) => f.file === target.file && f.service === target.service)) {
    const cycle = [...frames, target].map((f) => `${f.service} (${f.file})`).join(' → ');
    throw composeError(`extends cycle: ${cycle}`, {
      location: refAt,
      hint: 'Break the cycle: a service cannot extend itself, directly or through others.',
    });
  }
  const resolvedBase = resolveService(ctx, files, {
    name: ref,
    services: base.services,
    scope: base.scope,
    chain: frames,
  });
  if (!resolvedBase) return service;
  const own: YamlMap = { ...service };
  ctx.values.copyAll(service, own);
  delete own.extends;
  const merged = mergeService(cloneValue(resolvedBase, ctx.values) as YamlMap, own, ctx.values); // a clone of a mapping is a mapping
  services[name] = merged;
  return merged;
}

/** Resolves every `extends` under `root.services`, in place. */
export function applyExtends(ctx: LoadContext, root: YamlMap, scope: ComposeScope): void {
  const services = root.services;
  if (!isYamlMap(services)) return;
  const files: BaseFiles = new Map();
  for (const name of Object.keys(services)) resolveService(ctx, files, { name, services, scope, chain: [] });
}
