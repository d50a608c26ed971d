/**
 * Junction's version, as package.json says (a unit test keeps the two in step). Its own module so
 * that the `junction` CLI can print it — and start its operator commands — without loading the app.
 */
export const JUNCTION_VERSION = '0.1.0';
