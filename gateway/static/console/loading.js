// Reading one API answer for a page: loading, the answer or the refusal, and reading it again after a change.
import { api } from "./api.js";
import { useCallback, useEffect, useState } from "./view.js";

export function useAnswer(path, options = {}) {
  const [answer, setAnswer] = useState({ data: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  useEffect(() => {
    if (!path) return undefined;
    const controller = new AbortController();
    setAnswer((before) => ({ ...before, loading: true }));
    api(path, { ...options, signal: controller.signal })
      .then((data) => setAnswer({ data, error: null, loading: false }))
      .catch((error) => { if (error.name !== "AbortError") setAnswer({ data: null, error, loading: false }); });
    return () => controller.abort();
  }, [path, options.bearer, round]);
  return { ...answer, reload };
}
