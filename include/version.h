/*
 * version: the program's version, in a header of its own at the bottom of the
 * include graph so that every module (bundles, reports, --version) can name it
 * without reaching up to the command line.
 */
#ifndef ARCVERIFY_VERSION_H
#define ARCVERIFY_VERSION_H

#define ARCVERIFY_VERSION "0.2.0"

#endif
