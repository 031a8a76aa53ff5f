/*
 * refnet/value.h - what a customer is worth and what marketing returns: CLV models (column,
 * historic, BG/NBD + Gamma-Gamma), customer referral value and multi-generation network value,
 * ROI per campaign and channel, and the marketing-mix model.
 */
#ifndef REFNET_VALUE_H
#define REFNET_VALUE_H

#include <refnet/algo.h>
#include <refnet/graph.h>
#include <refnet/io.h>
#include <refnet/util.h>

/* ---- CLV models ------------------------------------------------------------------------ */

/* ---- Referral value, ROI and the marketing-mix model ----------------------------------- */

#endif
