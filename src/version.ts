/** The package version, sent in `User-Agent` and the default `Sender` device version. */
export const VERSION = '0.1.0';
