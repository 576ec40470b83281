// The forms of the IDs this action handles: what the user gives, and what the service must send.
// Kept apart so that the inputs (on the fail path) and the answers share them without loading each other.

/** A dataflow ID: a UUID. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A run, flow or batch ID as the Flow Service writes them (UUIDs in practice): never free text. */
export const SERVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
