/** Small pieces every page uses: labelled fields with their errors, alerts, loading reads. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Outcome } from './api';
import { placeProblem, problemSummary, type FieldOf, type PlacedProblem, type Problem } from './problem';
import { resync } from './reachability';

let nextId = 0;
export function useId(prefix: string): string {
  const id = useRef<string | null>(null);
  id.current ??= `${prefix}-${++nextId}`;
  return id.current;
}

/** The messages of one field, linked to it by aria-describedby. */
export function FieldErrors({ id, errors }: { id: string; errors: string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <p class="field-error" id={id}>
      {errors.join('; ')}
    </p>
  );
}

interface InputProps {
  type?: 'text' | 'date' | 'number';
  inputMode?: 'text' | 'decimal' | 'numeric';
  autoComplete?: string;
  maxLength?: number;
  required?: boolean;
  class?: string;
}

export function TextField({
  label,
  value,
  onValue,
  errors,
  hint,
  type = 'text',
  ...input
}: InputProps & { label: ComponentChildren; value: string; onValue(value: string): void; errors?: string[] | undefined; hint?: string }) {
  const id = useId('field');
  const described = [hint ? `${id}-hint` : '', errors?.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={id}
        // One of three input types; preact's types want one literal per element.
        type={type as 'text'}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
        aria-invalid={errors?.length ? true : undefined}
        aria-describedby={described || undefined}
        {...input}
      />
      <FieldErrors id={`${id}-error`} errors={errors} />
    </div>
  );
}

/** The alert region of a form or a view: what names no field. */
export function Alert({ messages, tone = 'error' }: { messages: string[] | undefined; tone?: 'error' | 'info' }) {
  // Always rendered, so screen readers announce what appears in it.
  return (
    <div class={messages?.length ? `alert alert-${tone}` : 'alert-empty'} role={tone === 'error' ? 'alert' : 'status'}>
      {messages?.length === 1 ? (
        <p>{messages[0]}</p>
      ) : messages?.length ? (
        <ul>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function ProblemAlert({ problem, prefix }: { problem: Problem | null; prefix?: string }) {
  return <Alert messages={problem ? [prefix ? `${prefix}: ${problemSummary(problem)}` : problemSummary(problem)] : undefined} />;
}

/** A form's state of errors: fields beside their inputs, the rest in its alert. */
export function useFormProblems(fieldOf: FieldOf) {
  const [placed, setPlaced] = useState<PlacedProblem | null>(null);
  return {
    fields: placed?.fields ?? {},
    general: placed?.general,
    show(problem: Problem | null) {
      setPlaced(problem ? placeProblem(problem, fieldOf) : null);
    },
    showLocal(fields: Record<string, string[]>) {
      setPlaced({ fields, general: [] });
    },
  };
}

export interface Query<T> {
  data: T | undefined;
  problem: Problem | null;
  loading: boolean;
  reload(): void;
  /** Replace what is shown (a live event); returns nothing. */
  update(change: (current: T | undefined) => T | undefined): void;
}

/**
 * A read shown on screen: runs on mount, when `deps` change, when asked, and after every
 * reconnect or Retry (`resync`), since what changed meanwhile was not sent live.
 */
export function useQuery<T>(load: () => Promise<Outcome<T>>, deps: unknown[]): Query<T> {
  const [state, setState] = useState<{ data: T | undefined; problem: Problem | null; loading: boolean }>({
    data: undefined,
    problem: null,
    loading: true,
  });
  const [reloads, setReloads] = useState(0);
  const generation = useRef(0);
  const resyncs = resync.value;
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    void load().then((answer) => {
      if (mine !== generation.current) return;
      setState((s) =>
        answer.ok ? { data: answer.data, problem: null, loading: false } : { data: s.data, problem: answer.problem, loading: false },
      );
    });
    // `load` is a new function on every render: `deps` say when to read again.
  }, [...deps, reloads, resyncs]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  const update = useCallback((change: (current: T | undefined) => T | undefined) => setState((s) => ({ ...s, data: change(s.data) })), []);
  return { ...state, reload, update };
}

/** The page's heading; focused when the page opens, so keyboard and screen-reader users land on it. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 tabIndex={-1} ref={heading}>
      {children}
    </h1>
  );
}

export function VisuallyHidden({ children }: { children: ComponentChildren }) {
  return <span class="visually-hidden">{children}</span>;
}
