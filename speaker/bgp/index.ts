// Public surface of the BGP-4 message codec (pure: no sockets, no timers).
export * from "./address.ts";
export * from "./attributes.ts";
export * from "./capabilities.ts";
export * from "./constants.ts";
export { frameMessage } from "./header.ts";
export * from "./messages.ts";
export * from "./negotiate.ts";
export { type Decoded, type NotificationValue } from "./notification-error.ts";
export * from "./notification.ts";
export * from "./open.ts";
export * from "./splitter.ts";
export * from "./update.ts";
// Session layer: pure FSM and Adj-RIB-Out, and the socket adapter.
export * from "./adj-rib-out.ts";
export * from "./fsm.ts";
export * from "./session.ts";
export * from "./update-packer.ts";
