export { type AdfDoc, type AdfMark, type AdfNode, textToAdf } from './adf.js';
export { JiraApiError } from './errors.js';
export { ACCOUNT_ID_FIELD, FIELD_IDS, type FieldId, jiraTimestamp, type RestIssue } from './fields.js';
export {
  compareIssueKeys,
  DEFAULT_PROJECTS,
  type DriftCause,
  type DriftScenario,
  IssueSeedError,
  type JiraIssue,
  type JiraIssueSeed,
  JiraIssueSeedSchema,
  type JiraProject,
  type JiraSeed,
  JiraSeedSchema,
} from './issues.js';
export { type CreatedOperator, JqlError, type JqlQuery, parseJql, type SortField } from './jql.js';
export {
  DEFAULT_PAGE_SIZE,
  MAX_ID_PAGE_SIZE,
  MAX_PAGE_SIZE,
  type SearchPage,
  type SearchParams,
} from './search.js';
export {
  basicAuth,
  DEV_JIRA_CREDENTIALS,
  type JiraCredentials,
  type JiraFault,
  type JiraRateLimit,
  type JiraRequestRecord,
  LocalJira,
  type LocalJiraOptions,
  startLocalJira,
} from './server.js';
export {
  ATOM_IDS,
  type AtomId,
  MOLECULE_IDS,
  MOLECULES,
  type MoleculeId,
  moleculeOf,
  TICKET_LABELS,
  type TicketLabel,
  UNCLASSIFIED,
} from './taxonomy.js';
export {
  DRIFT_TICKET_ATOM,
  MOLECULE_MIX,
  type SyntheticTicketOptions,
  syntheticTickets,
  UNCLASSIFIED_SHARE,
} from './tickets.js';
