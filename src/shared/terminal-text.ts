// Text that came from files, file names or a model, made safe to print on a terminal: control
// characters are shown, not obeyed. Raw, an OSC 0 sequence would retitle the window and OSC 52 write
// to the clipboard (ripgrep and git escape such bytes the same way). Tab and newline are layout,
// and a CR before a newline is a CRLF file's line end; both stay.

/** C0 controls but tab and newline, DEL, C1 controls (U+0080–U+009F); a CR only when no newline follows. */
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/g;

/** `text` with each control character written as `\xHH` (ESC as `\x1b`). */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * JSON text (as JSON.stringify writes it) with DEL and the C1 controls escaped as well: JSON.stringify
 * escapes only U+0000–U+001F. The value it parses to is the same, to the character.
 */
export function printableJson(json: string): string {
  return json.replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
