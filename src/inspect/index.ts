export {
  type CliInspection,
  type InspectChoice,
  type InspectFlags,
  inspectHostOption,
  inspectOption,
  parseInspect,
  startCliInspection,
} from './cliSupport';
export {
  DEFAULT_INSPECT_PORT,
  type InspectorHandle,
  type InspectorMode,
  type InspectorOptions,
  inspectorInstructions,
  startInspector,
} from './inspector';
export { lightenInspectionEvent, lightSnapshot, lightValue } from './lighten';
export { createRedactor, REDACTED, type Redactor, SENSITIVE_KEY } from './redact';
