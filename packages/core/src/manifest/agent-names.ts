/** Agent names: lower case, so they read well in task ids and logs. */
export const AGENT_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;
