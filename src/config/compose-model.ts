import type { SettingSource } from './sources.js';

/** A compose `environment`/`env_file` value with where it was set. `undefined` = declared without a value and not set in the shell. */
export interface EnvValue {
  value: string | undefined;
  source: SettingSource;
}

export interface PortMapping {
  hostIp?: string;
  /** Undefined when compose would pick an ephemeral port. */
  published?: number;
  target: number;
  protocol: 'tcp' | 'udp';
}

export interface VolumeMount {
  type: 'bind' | 'volume';
  /** Host path (absolute, resolved against the project dir) or volume name. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface Healthcheck {
  /** Docker's form: ['CMD', …], ['CMD-SHELL', cmd] or ['NONE']. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
  disable: boolean;
}

export interface Dependency {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  required: boolean;
  restart: boolean;
}

export interface ComposeService {
  name: string;
  image?: string;
  /** A string command is kept as written; the runtime splits it like a shell. */
  command?: string | string[];
  entrypoint?: string | string[];
  environment: Map<string, EnvValue>;
  ports: PortMapping[];
  volumes: VolumeMount[];
  healthcheck?: Healthcheck;
  dependsOn: Record<string, Dependency>;
  profiles: string[];
  restart?: string;
  labels: Record<string, string>;
  containerName?: string;
  networks: string[];
  /** Line of the service's key in the compose file that defines it. */
  line: number;
  /** The compose file that defines the service (an included file for an included service). */
  file?: string;
}

export interface ComposeProject {
  file: string;
  services: Record<string, ComposeService>;
  /** Services left out by profiles. */
  inactive: string[];
  volumes: string[];
  networks: string[];
}
