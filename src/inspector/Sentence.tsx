/** A sentence with `names` in backticks, shown as code: "… of the `conversation` machine …". */
export function Sentence({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one sentence never reorder
        i % 2 ? <code key={i}>{part}</code> : part,
      )}
    </>
  );
}
