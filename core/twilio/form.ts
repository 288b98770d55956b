/**
 * Reading an application/x-www-form-urlencoded body (what Twilio's SDKs send): `+` is a space,
 * %XX sequences are UTF-8 bytes, a key may repeat (MediaUrl). Pure; URLSearchParams does the
 * decoding (WHATWG rules: a malformed %-sequence stays as written, bytes that are not UTF-8 become
 * U+FFFD), so no input can throw here. API Gateway's base64 bodies are decoded by the handler.
 */

export type FormValues = ReadonlyMap<string, readonly string[]>;

export function parseForm(body: string | null): FormValues {
  const values = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(body ?? '')) {
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return values;
}

/** The media type is application/x-www-form-urlencoded (any case, parameters such as a charset allowed). */
export function isFormContentType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** A form from query parameters as API Gateway gives them (one value each). */
export function formOfQuery(query: Record<string, string | undefined>): FormValues {
  return new Map(Object.entries(query).flatMap(([k, v]) => (v === undefined ? [] : [[k, [v]] as const])));
}
