import { ResponseParseError } from './errors';
import type { RawResponse } from '../models/response-info';
import { XmlSyntaxError } from '../xml/parse';

/** Decodes a 2xx body with `decode`; a body that is not the XML the API sends is a {@link ResponseParseError}. */
export function decodeResponse<T>(res: RawResponse, decode: (body: string) => T): T {
  try {
    return decode(res.body);
  } catch (error) {
    if (error instanceof XmlSyntaxError)
      throw new ResponseParseError(res.status, res.contentType, error.reason);
    throw error;
  }
}
