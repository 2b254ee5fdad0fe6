/**
 * What an imported app's model needs in this workspace: an unknown provider, or a known one without
 * credentials, still imports (as in Dify), with a warning that names the credentials to add.
 */

/** A provider as `GET /console/api/workspaces/current/model-providers` shows it (the fields read here). */
export interface ProviderView {
  provider: string;
  configurate_methods: string[];
  provider_credential_schema: { credential_form_schemas: CredentialField[] } | null;
  model_credential_schema: { credential_form_schemas: CredentialField[] } | null;
  custom_configuration: {
    current_credential_id: string | null;
    custom_models: Array<{ model: string; model_type: string; current_credential_id: string | null }>;
  };
}

interface CredentialField {
  variable: string;
  required: boolean;
  show_on?: Array<{ variable: string; value: string }>;
}

/** Dify's DslImportWarning: `code`, where in the file (`path`), a sentence, details. */
export interface DslWarning {
  code: string;
  path: string;
  message: string;
  details: Record<string, unknown>;
}

/**
 * Dify 1.x DSLs name plugin providers `langgenius/openai/openai`; this server's are `openai`.
 * @returns the provider name this server uses
 */
export function localProviderName(provider: string, known: ReadonlySet<string>): string {
  const parts = provider.split('/');
  if (parts.length === 3 && parts[1] === parts[2] && known.has(parts[2]!)) return parts[2]!;
  return provider;
}

const fieldList = (fields: CredentialField[]): string =>
  fields
    .filter((f) => !f.show_on?.length)
    .map((f) => `${f.variable}${f.required ? ' (required)' : ''}`)
    .join(', ');

/** Warnings for the model of an imported config; none when the workspace can call it. */
export function providerWarnings(model: { provider: string; name: string }, providers: ProviderView[]): DslWarning[] {
  const path = 'model_config.model.provider';
  const view = providers.find((p) => p.provider === model.provider);
  if (!view) {
    return [
      {
        code: 'provider_not_found',
        path,
        message: `Provider ${model.provider} is not available on this server (built in or PROVIDER_PLUGINS_DIR: ${providers.map((p) => p.provider).join(', ')}). Add it as a provider plugin, or pick another model in the app's model config.`,
        details: { provider: model.provider, model: model.name },
      },
    ];
  }
  const custom = view.custom_configuration;
  if (custom.current_credential_id) return [];
  if (custom.custom_models.some((m) => m.model === model.name && m.model_type === 'llm' && m.current_credential_id))
    return [];
  const perModel = !view.configurate_methods.includes('predefined-model');
  const fields =
    (perModel ? view.model_credential_schema : view.provider_credential_schema)?.credential_form_schemas ?? [];
  const where = perModel
    ? `POST /console/api/workspaces/current/model-providers/${view.provider}/models with {"model": "${model.name}", "model_type": "llm", "credentials": {…}}`
    : `POST /console/api/workspaces/current/model-providers/${view.provider}/credentials`;
  return [
    {
      code: 'provider_not_configured',
      path,
      message: `Provider ${view.provider} has no credentials in this workspace${perModel ? ` for model ${model.name}` : ''}: add ${fieldList(fields) || 'its credentials'} (${where}) before the app can answer.`,
      details: { provider: view.provider, model: model.name, credentials: fields.map((f) => f.variable) },
    },
  ];
}
