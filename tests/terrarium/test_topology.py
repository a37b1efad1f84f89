"""Graph connectivity: split detection cost and correctness, merge moving the smaller side."""

from __future__ import annotations

from terrarium_helpers import cfg, llm

from kohakuterrarium import Terrarium
from kohakuterrarium.terrarium.topology import components_after_removal, find_split


def adjacency(edges):
    adj: dict = {}
    for a, b in edges:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    return adj


def test_find_split_detects_connected_and_cut_sides():
    adj = adjacency([(1, 2), (2, 3), (3, 4), (4, 1), (4, 5)])
    assert find_split(1, 2, lambda n: adj.get(n, ())) is None
    chain = adjacency([(1, 2), (3, 4), (4, 5)])  # the 2-3 link was removed
    assert find_split(2, 3, lambda n: chain.get(n, ())) == {1, 2}


def test_cutting_a_leaf_off_a_huge_graph_costs_o1():
    n = 10_000
    star = adjacency([("hub", i) for i in range(n)])
    star["leaf"] = []  # its edge to the hub is gone
    calls = []

    def neighbors(node):
        calls.append(node)
        return star.get(node, ())

    assert find_split("leaf", "hub", neighbors) == {"leaf"}
    assert len(calls) <= 3  # never walks the 10 000 spokes


def test_components_after_removing_a_hub():
    # hub removed: three separate pairs remain
    adj = adjacency([("a1", "a2"), ("b1", "b2"), ("c1", "c2")])
    pieces = components_after_removal(
        lambda n: "g", "g", ["a1", "b1", "c1"], lambda n: adj.get(n, ())
    )
    assert sorted(map(sorted, pieces)) == [["a1", "a2"], ["b1", "b2"]]  # c stays as "g"


async def test_merge_moves_the_smaller_graph_into_the_larger():
    async with Terrarium() as engine:
        big = [await engine.add_creature(cfg(f"b{i}"), llm=llm()) for i in range(4)]
        for other in big[1:]:
            await engine.connect(big[0], other)
        big_id = big[0].graph_id
        solo = await engine.add_creature(cfg("solo"), llm=llm())
        await engine.connect(solo, big[0])
        assert solo.graph_id == big_id  # the singleton moved, the big graph kept its id
        assert len(engine.list_graphs()) == 1
        topo = engine.get_graph(big_id)
        assert topo.creature_ids[-1] == "solo" and len(topo.creature_ids) == 5
