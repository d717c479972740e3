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
  TransferToKeeperEvent,
  TransferToPeerEvent,
} from './types';
