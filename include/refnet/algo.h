/*
 * refnet/algo.h - influence centrality on the referral graph: the shared sparse kernel,
 * weighted PageRank, Katz, reach, cascades, and the igraph adapter.
 */
#ifndef REFNET_ALGO_H
#define REFNET_ALGO_H

#include <refnet/graph.h>
#include <refnet/util.h>

#endif
