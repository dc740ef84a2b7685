/*
 * rune_registry_cli.h - the registry and signature commands of the rune CLI, each a main-like
 * function so the unified `rune` tool can dispatch to them (argv[0] is the command name):
 *
 *   rune_cmd_push    push a .rune file or a stored image to a registry (and its signature)
 *   rune_cmd_pull    pull an image into the local store (optionally write the .rune)
 *   rune_cmd_images  list the local store
 *   rune_cmd_tag     add a tag to a stored image
 *   rune_cmd_rm      remove tags, garbage-collecting blobs
 *   rune_cmd_keygen  make an Ed25519 key pair
 *   rune_cmd_sign    sign a .rune
 *   rune_cmd_verify  check a .rune's signature against keys / a trust policy
 *
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error. --help prints usage to
 * stdout and exits 0; --json switches stdout to one JSON object.
 */
#ifndef RUNE_REGISTRY_CLI_H
#define RUNE_REGISTRY_CLI_H

int rune_cmd_push(int argc, char **argv);
int rune_cmd_pull(int argc, char **argv);
int rune_cmd_images(int argc, char **argv);
int rune_cmd_tag(int argc, char **argv);
int rune_cmd_rm(int argc, char **argv);
int rune_cmd_keygen(int argc, char **argv);
int rune_cmd_sign(int argc, char **argv);
int rune_cmd_verify(int argc, char **argv);

#endif
