/**
 * Change notifications for per-process caches (issue 16). A committed write to `apps` sends
 * `NOTIFY difyctl_changes, 'apps:<tenant id>'` (PostgreSQL folds repeats within one transaction);
 * a TRUNCATE sends `'apps:*'`. Each api process LISTENs on one connection (src/server/store/change-feed.ts)
 * and drops what it cached for that workspace: another process's write is seen as soon as the
 * notification arrives, not when a time-to-live runs out.
 */
export const revision = '0009';
export const down_revision = '0008';
export const description = 'NOTIFY difyctl_changes on writes to apps (per-process caches drop what changed)';

export const up = `
CREATE FUNCTION difyctl_notify_apps() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('difyctl_changes', 'apps:*');
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('difyctl_changes', 'apps:' || OLD.tenant_id);
  ELSE
    PERFORM pg_notify('difyctl_changes', 'apps:' || NEW.tenant_id);
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
      PERFORM pg_notify('difyctl_changes', 'apps:' || OLD.tenant_id);
    END IF;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER apps_notify_rows AFTER INSERT OR UPDATE OR DELETE ON apps
  FOR EACH ROW EXECUTE FUNCTION difyctl_notify_apps();
CREATE TRIGGER apps_notify_truncate AFTER TRUNCATE ON apps
  FOR EACH STATEMENT EXECUTE FUNCTION difyctl_notify_apps();
`;

export const down = `
DROP TRIGGER IF EXISTS apps_notify_truncate ON apps;
DROP TRIGGER IF EXISTS apps_notify_rows ON apps;
DROP FUNCTION IF EXISTS difyctl_notify_apps();
`;
