// A small multipart/form-data reader. storage-js sends the file part with an empty field
// name (`name=""`), which Deno's Request.formData() silently drops, so uploads made from a
// Blob would arrive empty; this reader keeps every part.

export interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  data: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  for (
    let i = haystack.indexOf(first, from);
    i !== -1 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function param(header: string, key: string): string | null {
  const match = new RegExp(`;\\s*${key}="([^"]*)"`, "i").exec(header) ??
    new RegExp(`;\\s*${key}=([^;\\s]*)`, "i").exec(header);
  return match ? match[1] : null;
}

export function boundaryOf(contentType: string): string | null {
  return param(contentType, "boundary");
}

// Returns null when the body is not well-formed multipart for this boundary.
export function parseMultipart(body: Uint8Array, boundary: string): Part[] | null {
  const delimiter = encoder.encode(`--${boundary}`);
  const headerEnd = encoder.encode("\r\n\r\n");
  const parts: Part[] = [];
  let at = indexOf(body, delimiter, 0);
  if (at === -1) return null;
  while (true) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // closing "--"
    at += 2; // CRLF after the delimiter
    const headersEnd = indexOf(body, headerEnd, at);
    if (headersEnd === -1) return null;
    const next = indexOf(body, delimiter, headersEnd + 4);
    if (next === -1) return null;
    const headers = decoder.decode(body.subarray(at, headersEnd)).split("\r\n");
    const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? "";
    const type = headers.find((h) => /^content-type:/i.test(h));
    parts.push({
      name: param(disposition, "name") ?? "",
      filename: param(disposition, "filename"),
      contentType: type ? type.slice(type.indexOf(":") + 1).trim() : null,
      data: body.subarray(headersEnd + 4, next - 2), // minus the CRLF before the delimiter
    });
    at = next;
  }
}
