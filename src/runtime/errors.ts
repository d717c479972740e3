import { TimeswarmError } from '../errors';

/** An actor ended before it was ready (a server or peer that could not listen). */
export class StartError extends TimeswarmError {
  override name = 'StartError';
}
