/** Request shapes the Knowledge API and the console's knowledge routes share (Dify checks them alike). */
import { z } from 'zod';
import { uuidParam } from '../../validate.js';

const NAME_RULE = 'Name must be between 1 to 40 characters.';

/** A new dataset's name (Dify's _validate_name): trimmed, 1 to 40 characters. */
export const datasetName = z.string({ message: NAME_RULE }).trim().min(1, NAME_RULE).max(40, NAME_RULE);

/** A page of a list (datasets, documents, segments), with an optional keyword. */
export const Paging = z.object({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  keyword: z.string().max(200).optional(),
});

export const DatasetParams = z.object({ datasetId: uuidParam });
export const DocumentParams = z.object({ datasetId: uuidParam, documentId: uuidParam });
export const BatchParams = z.object({ datasetId: uuidParam, batch: z.string().min(1).max(64) });

/** `PATCH /datasets/<id>` (Knowledge API and console): the fields given change. */
export const DatasetPatchBody = z.object({
  name: z.string().trim().min(1, NAME_RULE).max(40, NAME_RULE).optional(),
  description: z.string().max(400, 'Description cannot exceed 400 characters.').nullish(),
  indexing_technique: z.enum(['high_quality', 'economy']).optional(),
  permission: z.enum(['only_me', 'all_team_members', 'partial_members']).optional(),
  embedding_model: z.string().min(1).optional(),
  embedding_model_provider: z.string().min(1).optional(),
  retrieval_model: z.record(z.string(), z.unknown()).nullish(),
});
