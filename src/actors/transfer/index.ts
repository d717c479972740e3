export { transferMachine } from './transfer.machine';
export type {
  Announcement,
  ForwardedMessage,
  RemoteEvent,
  TransferContext,
  TransferEnd,
  TransferEvent,
  TransferInput,
  TransferStage,
  TransferTiming,
  TransferToPeerEvent,
} from './types';
