/**
 * `apps.use_icon_as_answer_icon`, as Dify keeps it (models/model.py App): a DSL file carries it under
 * `app:`, and import → export must give it back.
 */
export const revision = '0006';
export const down_revision = '0005';
export const description = 'apps.use_icon_as_answer_icon (Dify DSL import/export)';

export const up = `
ALTER TABLE apps ADD COLUMN use_icon_as_answer_icon boolean NOT NULL DEFAULT false;
`;

export const down = `
ALTER TABLE apps DROP COLUMN IF EXISTS use_icon_as_answer_icon;
`;
