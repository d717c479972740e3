import type { ActorRef, EventObject, Snapshot } from 'xstate';

/**
 * A reference to the actor that spawned this one, typed by the events this one may send it.
 * A child machine declares what it tells its parent, not who the parent is:
 * `input: { parent: ParentRef<HandlerToServerEvent> }`, and the parent passes `self`.
 */
export type ParentRef<E extends EventObject> = ActorRef<Snapshot<unknown>, E>;
