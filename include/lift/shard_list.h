/* LIFT_SHARDS: the fact shards' PostgreSQL URLs, parsed and checked (issue 17).
 *
 *   LIFT_SHARDS="postgresql://lift@db1/lift postgresql://lift@db2/lift"
 *   LIFT_SHARDS="eu1=postgresql://lift@db1/lift eu2=postgresql://lift@db2/lift"
 *
 * Entries are separated by white space (a URL may hold commas: several hosts). Each is a
 * postgresql:// (or postgres://) URL naming a database, optionally preceded by NAME= (a
 * lower-case letter, then up to 30 lower-case letters, digits or '_'); without a name the
 * k-th entry is "shard<k>". A shard's name is what lift.shards and the bucket map record,
 * so it must stay with its server. */
#ifndef LIFT_SHARD_LIST_H
#define LIFT_SHARD_LIST_H

#include <stdbool.h>

#include "lift/err.h"

#define LIFT_SHARDS_MAX 64

typedef struct lift_shard_entry {
    char name[32];
    char *url;        /* as given: may hold a password */
    char *public_url; /* the same without the password: for lift.shards and messages */
} lift_shard_entry;

typedef struct lift_shard_list {
    int n;
    lift_shard_entry *items;
} lift_shard_list;

/* Parses text (LIFT_SHARDS' value; NULL reads as empty) into list, which the caller
 * releases with lift_shard_list_fini (also after a failure). LIFT_EINVAL with a message
 * that names the entry (by position, password masked) when an entry is not a URL, does
 * not parse, names no database or a bad name, or repeats another's name or database; when
 * the list is empty or longer than LIFT_SHARDS_MAX. */
int lift_shard_list_parse(const char *text, lift_shard_list *list, lift_err *err);
void lift_shard_list_fini(lift_shard_list *list);

/* True when name is a valid shard name. */
bool lift_shard_name_valid(const char *name);

#endif
