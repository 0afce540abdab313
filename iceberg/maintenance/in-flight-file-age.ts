/**
 * The longest a file Floe writes may stay unreferenced while the commit that will refer to it is
 * still in flight: a data step (up to 2 hours, a training-set chunk 4) writes files that its commit
 * step (a 2-minute step whose loop gives up within about a minute, then retried) refers to, and a
 * day leaves room for retried steps and clocks apart; Java's Spark action refuses under a day too.
 * `floe maintenance remove-orphans` refuses a younger age without --force. A training-set run keeps
 * its staged chunks for the whole run: a run longer than this needs a longer age.
 */
export const IN_FLIGHT_FILE_AGE_MS = 24 * 60 * 60 * 1000;
