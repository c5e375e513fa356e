// Reading a field of a generated message by its descriptor, oneof members included.

import type { DescField, Message } from "@bufbuild/protobuf";

/** The value of `field` in `message` (a oneof member not chosen reads as `undefined`). */
export function fieldValue(message: Message, field: DescField): unknown {
  const record = message as unknown as Record<string, unknown>;
  if (field.oneof) {
    const chosen = record[field.oneof.localName] as { case?: string; value?: unknown } | undefined;
    return chosen?.case === field.localName ? chosen.value : undefined;
  }
  return record[field.localName];
}
