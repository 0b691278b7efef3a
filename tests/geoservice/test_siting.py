"""Maximal covering site choice: the exact optimum where greedy falls short, reductions, order."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geoservice.siting import greedy_covering, maximal_covering

# six places of one person each; site 0 covers four, sites 1 and 2 three each but together all six
COVERS = np.array([
    [1, 1, 0],
    [1, 1, 0],
    [1, 0, 1],
    [1, 0, 1],
    [0, 1, 0],
    [0, 0, 1],
], dtype=bool)


def test_exact_beats_greedy_on_the_classic_trap() -> None:
    exact = maximal_covering(COVERS, np.ones(6), 2)
    assert exact.status == "optimal" and exact.gap == 0.0
    assert [s.candidate for s in exact.sites] == [1, 2] and exact.covered == 6.0
    assert [s.newly_covered for s in exact.sites] == [3.0, 3.0]
    assert exact.sites[0].demand == (0, 1, 4) and exact.sites[1].demand == (2, 3, 5)
    greedy = greedy_covering(COVERS, np.ones(6), 2)
    assert greedy.status == "greedy" and [s.candidate for s in greedy.sites] == [0, 1] and greedy.covered == 5.0


def test_sites_are_ordered_by_what_each_adds() -> None:
    weights = np.array([1, 1, 1, 1, 10, 1])  # the person at place 4 counts as ten
    result = maximal_covering(sp.csr_matrix(COVERS), weights, 3)
    assert result.sites[0].candidate == 1 and result.sites[0].newly_covered == 12
    assert [s.candidate for s in result.sites] == [1, 2], "site 0 would add no one"
    assert result.covered == 15 == result.coverable


def test_one_site_is_enough_when_it_covers_everyone() -> None:
    covers = np.array([[1, 1], [1, 0], [1, 0]], dtype=bool)
    result = maximal_covering(covers, [1, 2, 3], 2)
    assert [s.candidate for s in result.sites] == [0] and result.covered == 6


def test_identical_candidates_report_the_first() -> None:
    covers = np.array([[0, 1, 1, 0], [0, 1, 1, 1], [1, 0, 0, 0]], dtype=bool)
    result = maximal_covering(covers, [5, 5, 1], 1)
    assert [s.candidate for s in result.sites] == [1] and result.covered == 10


def test_nothing_to_cover() -> None:
    covers = np.zeros((3, 4), dtype=bool)
    result = maximal_covering(covers, [1, 1, 1], 2)
    assert result.sites == () and result.covered == 0 and result.coverable == 0 and result.status == "optimal"
    assert maximal_covering(COVERS, np.ones(6), 0).sites == ()


def test_larger_random_instance_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    covers = rng.random((40, 9)) < 0.2
    weights = rng.integers(1, 9, 40).astype(float)
    from itertools import combinations

    best = max(weights[covers[:, list(c)].any(axis=1)].sum() for c in combinations(range(9), 3))
    assert maximal_covering(covers, weights, 3).covered == pytest.approx(best)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="one per demand point"):
        maximal_covering(COVERS, [1, 2], 1)
    with pytest.raises(ValueError, match="non-negative"):
        maximal_covering(COVERS, [-1, 1, 1, 1, 1, 1], 1)
