"""udlbook's Training I-III optimisers as optax transformations, and descent as one ``lax.scan``.

* :func:`bracket_line_search`: the notebooks' derivative-free four-point bracketing search for the
  minimum of a 1-D function on ``[0, max_dist]`` (Training I; reused by Training II and III).
* :func:`scale_by_bracket_line_search`: that search as an optax ``GradientTransformationExtraArgs``
  with optax's line-search interface (``update(..., value_fn=)``); chained after ``optax.sgd(1.0)``
  (:func:`gd_line_search`) it is the notebooks' "gradient descent with line search".
* :func:`descend`: any optax transformation run for ``n_steps`` in one ``lax.scan`` (full batch, or
  minibatches given as a ``(steps, ...)`` array), recording parameters, the full objective and the
  step size. Fixed-step gradient descent and SGD are plain ``optax.sgd(lr)``; learning-rate
  schedules are optax schedules; :func:`permutation_batches` draws the notebook's minibatches
  (the first ``batch_size`` of a fresh permutation per step) from a JAX key.

How optax's own line searches relate to the notebooks' (tested in ``tests/test_optim.py``):

* ``optax.scale_by_zoom_linesearch`` (strong Wolfe conditions, cubic interpolation) with a tight
  curvature tolerance approximates the *exact* line minimum, which is what the bracketing search
  also aims at. On the convex least-squares loss of Training II the exact minimiser
  ``alpha* = g.g / g.H.g`` lies inside the bracketing search's final bracket and zoom hits it to
  ~1e-9: at any point both choose the same step up to the bracket width (~1e-3 after 15
  iterations), though two descents drift apart as these small differences compound along the
  zig-zag. With optax's default ``curv_rtol = 0.9`` zoom stops at the first acceptable (not the
  best) step.
* ``optax.scale_by_backtracking_linesearch`` (Armijo) shrinks a guess until the decrease is
  sufficient; it never looks for the minimum, so its steps differ by design (shorter or longer).
* The bracketing search assumes the 1-D function is unimodal on ``[0, max_dist]``. On the
  non-convex Gabor loss it may jump over a ridge to a farther valley along the line, where a
  Wolfe search stops in the first one.

References:
  Prince, *Understanding Deep Learning* (2023), chapter 6 and notebooks CM20315 Training I-III.
  Nocedal & Wright, *Numerical Optimization* (2006), chapter 3.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

Array = jax.Array
Params = Any

__all__ = ["LineSearch", "bracket_line_search", "BracketLineSearchState", "scale_by_bracket_line_search",
           "gd_line_search", "Trajectory", "descend", "permutation_batches"]


class LineSearch(NamedTuple):
    """Result of :func:`bracket_line_search`.

    Attributes:
      step: ``()`` the answer, ``(b + c) / 2`` of the final bracket.
      bracket: ``(4,)`` the final ``a, b, c, d``.
      n_iter: ``()`` iterations taken (each evaluates the function at the four points).
      history: ``(max_iter, 4)`` the bracket at the start of every iteration (what the notebook
        prints as ``Iter i, a=..., b=..., c=..., d=...``); rows after ``n_iter`` repeat the final one.
      active: ``(max_iter,)`` whether that iteration ran.
    """

    step: Array
    bracket: Array
    n_iter: Array
    history: Array
    active: Array


def bracket_line_search(f: Callable[[Array], Array], *, max_dist=1.0, thresh: float = 1e-4, max_iter: int = 10,
                        dtype=None) -> LineSearch:
    """Minimise a 1-D function on ``[0, max_dist]`` by the notebooks' four-point bracketing.

    Start from ``a, b, c, d = 0, 0.33, 0.66, 1`` (times ``max_dist``) and, while ``|b - c| > thresh``
    and fewer than ``max_iter`` iterations ran, evaluate ``f`` at the four points and

    1. if ``f(a)`` is the smallest: halve ``b``, ``c`` and ``d``;
    2. else if ``f(b) < f(c)``: ``d = c`` and ``b``, ``c`` move to the thirds of ``[a, d]``;
    3. else: ``a = b`` and ``b``, ``c`` move to the thirds of ``[a, d]``.

    The answer is ``(b + c) / 2``. Rules are kept exactly as the notebooks write them, including
    rule 1 halving ``b, c, d`` themselves (towards 0, not towards ``a``, once ``a > 0``). Fixed
    length (a ``lax.scan`` of ``max_iter`` masked iterations), so it jits and vmaps, e.g. over
    starting points or ``max_dist``.

    Args:
      f: scalar function of a scalar; called on the four points with ``jax.vmap``.
      max_dist: right end of the initial bracket (may be traced).
      thresh: stop when ``|b - c| <= thresh``.
      max_iter: most iterations (static).
      dtype: floating dtype of the bracket (default: JAX's default float).

    Returns:
      :class:`LineSearch`.

    >>> ls = bracket_line_search(lambda t: (t - 0.3) ** 2, thresh=1e-4, max_iter=30)
    >>> round(float(ls.step), 3), int(ls.n_iter) < 30
    (0.3, True)
    """
    dtype = jnp.result_type(float) if dtype is None else dtype
    abcd = jnp.asarray([0.0, 0.33, 0.66, 1.0], dtype) * jnp.asarray(max_dist, dtype)

    def iteration(carry, _):
        x, n = carry
        a, b, c, d = x[0], x[1], x[2], x[3]
        active = jnp.abs(b - c) > thresh
        loss = jax.vmap(f)(x)
        halve = jnp.stack([a, b / 2, c / 2, d / 2])  # rule 1
        left = jnp.stack([a, a + (c - a) / 3, a + 2 * (c - a) / 3, c])  # rule 2: d = c
        right = jnp.stack([b, b + (d - b) / 3, b + 2 * (d - b) / 3, d])  # rule 3: a = b
        new = jnp.where(jnp.argmin(loss) == 0, halve, jnp.where(loss[1] < loss[2], left, right))
        return (jnp.where(active, new, x), n + active.astype(n.dtype)), (x, active)

    (x, n), (history, active) = jax.lax.scan(iteration, (abcd, jnp.zeros((), jnp.int32)), None, length=max_iter)
    return LineSearch((x[1] + x[2]) / 2, x, n, history, active)


class BracketLineSearchState(NamedTuple):
    """State of :func:`scale_by_bracket_line_search`: the last step size and its iteration count."""

    learning_rate: Array
    n_iter: Array


def scale_by_bracket_line_search(max_dist=2.0, thresh: float = 1e-5,
                                 max_iter: int = 15) -> optax.GradientTransformationExtraArgs:
    """Scale the incoming update ``u`` by the ``alpha`` in ``[0, max_dist]`` that the bracketing
    search finds for ``alpha -> value_fn(params + alpha u)``.

    Same calling convention as ``optax.scale_by_zoom_linesearch``: ``update(updates, state, params,
    value_fn=..., **extra_args)``; extra keyword arguments other than ``value`` and ``grad`` are
    passed on to ``value_fn``. Defaults are Training II/III's (``thresh=1e-5``, ``max_iter=15``,
    ``max_dist=2.0`` as their gradient-descent step uses it).

    >>> fn = lambda p: jnp.sum((p - 1.0) ** 2)
    >>> tx = optax.chain(optax.sgd(1.0), scale_by_bracket_line_search(max_dist=1.0, max_iter=30))
    >>> p = jnp.zeros(2)
    >>> u, _ = tx.update(jax.grad(fn)(p), tx.init(p), p, value_fn=fn)
    >>> [round(float(v), 3) for v in p + u]  # the exact line minimum, one step
    [1.0, 1.0]
    """

    def init_fn(params: Params) -> BracketLineSearchState:
        dtype = jax.tree.leaves(params)[0].dtype
        return BracketLineSearchState(jnp.zeros((), dtype), jnp.zeros((), jnp.int32))

    def update_fn(updates, state, params, *, value_fn: Callable[..., Array], **extra_args):
        del state
        kwargs = {k: v for k, v in extra_args.items() if k not in ("value", "grad")}
        dtype = jax.tree.leaves(params)[0].dtype

        def along(alpha):
            return value_fn(optax.apply_updates(params, optax.tree.scale(alpha, updates)), **kwargs)

        ls = bracket_line_search(along, max_dist=max_dist, thresh=thresh, max_iter=max_iter, dtype=dtype)
        return optax.tree.scale(ls.step, updates), BracketLineSearchState(ls.step, ls.n_iter)

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def gd_line_search(max_dist=2.0, thresh: float = 1e-5, max_iter: int = 15) -> optax.GradientTransformationExtraArgs:
    """Training II/III's gradient descent with line search: ``phi <- phi - alpha grad`` with
    ``alpha`` from :func:`bracket_line_search` along ``-grad``.

    >>> tx = gd_line_search(max_dist=1.0)
    >>> traj = descend(lambda p: jnp.sum((p - 1.0) ** 2), tx, jnp.zeros(2), n_steps=2)
    >>> round(float(traj.loss[-1]), 6)
    0.0
    """
    return optax.chain(optax.sgd(1.0), scale_by_bracket_line_search(max_dist, thresh, max_iter))


class Trajectory(NamedTuple):
    """What :func:`descend` records.

    Attributes:
      params: the parameters' pytree with leaves ``(T + 1, ...)`` (entry 0 is the start).
      loss: ``(T + 1,)`` the full objective at every iterate.
      learning_rate: ``(T,)`` the step size of each step where the optimiser state holds one
        (line searches, ``optax.inject_hyperparams``), else NaN.
    """

    params: Params
    loss: Array
    learning_rate: Array


def _learning_rate(state, dtype) -> Array:
    try:
        lr = optax.tree.get(state, "learning_rate", default=None)
    except KeyError:  # more than one: no single answer
        lr = None
    return jnp.full((), jnp.nan, dtype) if lr is None else jnp.asarray(lr).astype(dtype)


def descend(objective: Callable[[Params], Array], tx: optax.GradientTransformation, params: Params,
            n_steps: int | None = None, *, batch_objective: Callable[[Params, Any], Array] | None = None,
            batches: Any = None) -> Trajectory:
    """Run an optax optimiser for ``n_steps`` in one ``lax.scan``.

    Every step calls ``tx.update(grad, state, params, value=, grad=, value_fn=)``, so optax's line
    searches and :func:`scale_by_bracket_line_search` work as they are (plain transformations
    ignore the extra arguments). With ``batches`` the gradient (and any line search) uses
    ``batch_objective(params, batch)`` for the step's slice of ``batches``; ``objective`` (the full
    loss) is what gets recorded.

    Args:
      objective: ``objective(params) -> ()`` the full loss.
      tx: optax transformation (traced hyperparameters are fine: build it inside a vmapped function).
      params: starting parameters (a pytree).
      n_steps: number of steps (static); with ``batches`` it defaults to their leading length.
      batch_objective: ``batch_objective(params, batch) -> ()`` for minibatch steps.
      batches: pytree with leaves ``(T, ...)`` (e.g. ``(T, batch_size)`` indices).

    Returns:
      :class:`Trajectory`.

    >>> traj = descend(lambda p: jnp.sum(p ** 2), optax.sgd(0.25), jnp.ones(2), n_steps=3)
    >>> traj.params.shape, [round(float(v), 4) for v in traj.loss]
    ((4, 2), [2.0, 0.5, 0.125, 0.0312])
    """
    if (batches is None) != (batch_objective is None):
        raise ValueError("batches: give batches and batch_objective together (or neither)")
    if batches is None and n_steps is None:
        raise ValueError("n_steps: required without batches")
    tx = optax.with_extra_args_support(tx)
    dtype = jnp.result_type(objective(params))

    def step(carry, batch):
        p, state = carry
        obj = objective if batch is None else (lambda q: batch_objective(q, batch))
        value, grad = jax.value_and_grad(obj)(p)
        updates, state = tx.update(grad, state, p, value=value, grad=grad, value_fn=obj)
        p = optax.apply_updates(p, updates)
        return (p, state), (p, objective(p), _learning_rate(state, dtype))

    _, (ps, losses, lrs) = jax.lax.scan(step, (params, tx.init(params)), batches, length=n_steps)
    ps = jax.tree.map(lambda p0, p: jnp.concatenate([jnp.asarray(p0)[None], p]), params, ps)
    return Trajectory(ps, jnp.concatenate([jnp.asarray(objective(params))[None], losses]), lrs)


def permutation_batches(key: Array, n_steps: int, n: int, batch_size: int) -> Array:
    """Per step, the first ``batch_size`` indices of a fresh random permutation of ``range(n)``.

    Training III's minibatches from a JAX key, so seeds vmap (``jax.vmap`` over ``jax.random.split``
    keys: how ``experiments/udl_training.py`` draws its extra SGD runs). The notebook's own
    ``np.random.seed(1)`` stream is the fixture :func:`jdl.studies.udlbook.training_fixtures.sgd_permutation_batches`.

    Returns:
      ``(n_steps, batch_size)`` int32 indices, distinct within a step.

    >>> idx = permutation_batches(jax.random.key(0), 3, n=30, batch_size=5)
    >>> idx.shape, all(len(set(row.tolist())) == 5 for row in idx)
    ((3, 5), True)
    """
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size: need 1 <= batch_size <= n={n}, got {batch_size}")
    # argsort of uniforms: a uniformly random permutation per row (ties have probability ~0), one sort
    # for all steps (cheaper to compile than ``n_steps`` calls of ``jax.random.permutation``)
    u = jax.random.uniform(key, (n_steps, n))
    return jnp.argsort(u, axis=-1)[:, :batch_size].astype(jnp.int32)
