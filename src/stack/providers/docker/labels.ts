/** Labels on everything difyctl creates; `down` and `ps` find things by them (never by name alone). */
export const LABEL = {
  project: 'com.difyctl.project',
  service: 'com.difyctl.service',
  dependency: 'com.difyctl.dependency',
  configHash: 'com.difyctl.config-hash',
  /** The project directory: two checkouts with the same project name (`dify/docker`) stay apart. */
  projectDir: 'com.difyctl.project-dir',
  composeProject: 'com.docker.compose.project',
  composeService: 'com.docker.compose.service',
} as const;

export const containerName = (project: string, service: string) => `${project}-${service}-1`;
export const networkName = (project: string) => `${project}_default`;
export const volumeName = (project: string, volume: string) => `${project}_${volume}`;

export const projectFilter = (project: string) => ({ label: [`${LABEL.project}=${project}`] });

/**
 * The container belongs to the project in this directory: same project label and, when it carries
 * one (containers made before the label existed do not), the same directory.
 */
export const ownedBy = (labels: Record<string, string> | undefined, projectDir: string) =>
  !labels?.[LABEL.projectDir] || labels[LABEL.projectDir] === projectDir;
