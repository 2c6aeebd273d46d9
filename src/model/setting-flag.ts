/**
 * The shape of a yes/no setting, shared by the server settings and the database settings
 * so both accept the same spellings and report the same errors (docs/configuration.md).
 */
import { z } from 'zod';

/** A YAML boolean, or "true"/"false" (also 1/0, yes/no) from the environment. */
export const settingFlag = z.union([z.boolean(), z.stringbool()]);
