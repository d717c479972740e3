export type {
  FileWriterContext,
  FileWriterEvent,
  FileWriterInput,
  FileWriterNotification,
  FileWriterOutput,
} from './fileWriter.machine';
export { closeWriter, fileWriterMachine } from './fileWriter.machine';
export type { RecordSink } from './recordFile';
