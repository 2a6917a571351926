import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A native modal `<dialog>`: the browser traps focus inside it, closes it on Escape and hands
 * focus back to whatever opened it. It floats above the page, so opening it moves nothing.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; id: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    return () => d.close();
  }, []);
  return (
    <dialog
      ref={ref}
      id={props.id}
      class={props.wide ? 'wide' : undefined}
      aria-labelledby={`${props.id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        props.onClose();
      }}
    >
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

/** A message the screen reader announces as it appears; nothing when there is none. */
export function Alert(props: { message?: string; id?: string }) {
  return (
    <p id={props.id} class="alert" role="alert" hidden={!props.message}>
      {props.message ?? ''}
    </p>
  );
}
