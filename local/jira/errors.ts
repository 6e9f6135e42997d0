/**
 * Errors of the local Jira's REST surface, answered with Jira Cloud's error body
 * `{"errorMessages": [...], "errors": {}}` so a client's error handling runs as it would against Jira.
 */
export class JiraApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorMessages: string[],
    /** Extra response headers (Retry-After and the rate-limit headers of a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(errorMessages.join(' '));
  }

  body(): { errorMessages: string[]; errors: Record<string, string> } {
    return { errorMessages: this.errorMessages, errors: {} };
  }
}

export const jiraErrors = {
  badRequest: (message: string) => new JiraApiError(400, [message]),
  /** Jira Cloud's answer to missing or wrong Basic credentials. */
  unauthorized: () => new JiraApiError(401, ['Client must be authenticated to access this resource.']),
  /** Jira Cloud's answer to a body it cannot read as the endpoint's request bean. */
  invalidPayload: () =>
    new JiraApiError(400, ['Invalid request payload. Refer to the REST API documentation and try again.']),
  notFound: (method: string, path: string) =>
    new JiraApiError(404, [
      `No resource at ${method} ${path} (the local Jira serves /rest/api/3/search/jql).`,
    ]),
  methodNotAllowed: (method: string, path: string) =>
    new JiraApiError(405, [`Method ${method} is not allowed for ${path}.`]),
  /** The old search endpoints were removed from Jira Cloud; this is its answer to them. */
  searchRemoved: () =>
    new JiraApiError(410, [
      'The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046',
    ]),
} as const;
