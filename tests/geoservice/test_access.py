"""E2SFCA accessibility scores: hand-computed values, decay functions, conservation."""

from __future__ import annotations

import numpy as np
import pytest

from geoservice.access import e2sfca, gaussian_decay, stepped_decay

INF = np.inf


def test_stepped_decay_zones_include_their_upper_bound() -> None:
    w = stepped_decay(900)
    assert w(np.array([0, 300, 301, 600, 601, 900, 901, INF])).tolist() == [1, 1, 0.68, 0.68, 0.22, 0.22, 0, 0]


def test_gaussian_decay_is_one_at_zero_and_zero_at_the_catchment() -> None:
    w = gaussian_decay(600)
    values = w(np.array([0.0, 300.0, 600.0, 601.0, INF]))
    assert values[0] == pytest.approx(1.0) and values[2] == pytest.approx(0.0, abs=1e-12)
    assert values[1] == pytest.approx((np.exp(-0.125) - np.exp(-0.5)) / (1 - np.exp(-0.5)))
    assert values[3] == 0 and values[4] == 0


def test_hand_computed_two_by_two() -> None:
    # people 10 at a, 20 at b; shelter X (5 beds), clinic-room Y (capacity unknown: 1)
    times = np.array([[100.0, 700.0],   # a: X in zone 1 (w 1), Y in zone 3 (w 0.22)
                      [400.0, INF]])    # b: X in zone 2 (w 0.68), Y unreachable
    result = e2sfca(times, [10, 20], [5, 1], decay=stepped_decay(900))
    # step 1: demand on X = 10*1 + 20*0.68 = 23.6, on Y = 10*0.22 = 2.2
    assert result.demand == pytest.approx([23.6, 2.2])
    assert result.supply_ratio == pytest.approx([5 / 23.6, 1 / 2.2])
    # step 2: a = 1*5/23.6 + 0.22/2.2 ; b = 0.68*5/23.6
    assert result.scores == pytest.approx([5 / 23.6 + 0.1, 0.68 * 5 / 23.6])
    # every bed is shared out: people-weighted scores add up to the total capacity
    assert float(np.dot([10, 20], result.scores)) == pytest.approx(6.0)


def test_places_other_than_the_population_are_scored() -> None:
    times = np.array([[100.0, 700.0], [400.0, INF]])
    cells = np.array([[0.0, 0.0], [2000.0, 2000.0], [650.0, 100.0]])
    result = e2sfca(times, [10, 20], [5, 1], decay=stepped_decay(900), place_times_s=cells)
    assert result.scores == pytest.approx([5 / 23.6 + 1 / 2.2, 0.0, 0.22 * 5 / 23.6 + 1 / 2.2])


def test_a_resource_nobody_reaches_adds_nothing() -> None:
    result = e2sfca(np.array([[100.0, INF]]), [4], [2, 9], decay=stepped_decay(900))
    assert result.supply_ratio.tolist() == [0.5, 0.0] and result.scores.tolist() == [0.5]


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="expected"):
        e2sfca(np.zeros((2, 3)), [1, 2], [1, 1], decay=stepped_decay(900))
    with pytest.raises(ValueError, match="positive"):
        stepped_decay(0)
