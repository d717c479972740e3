export { type CliInspection, inspectOption, startCliInspection } from './cliSupport';
export {
  DEFAULT_INSPECT_PORT,
  type InspectorHandle,
  type InspectorOptions,
  inspectorInstructions,
  startInspector,
} from './inspector';
export { lightenInspectionEvent, lightSnapshot, lightValue } from './lighten';
