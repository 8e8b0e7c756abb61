/*
 * postal.h — owns the step of police routing that goes from a French postal
 * code to a département code (the Kafka key of relay48.escalations.police.v1
 * and the key of the jurisdiction data), and the list of département codes
 * with their French names.
 *
 * Pure: no I/O, no allocation, no global mutable state.
 *
 * Codes: "01".."19", "2A", "2B", "21".."95" (the 96 metropolitan
 * départements), "971".."976" (Guadeloupe, Martinique, Guyane, La Réunion,
 * Saint-Pierre-et-Miquelon, Mayotte), "977" Saint-Barthélemy, "978"
 * Saint-Martin, "986" Wallis-et-Futuna, "987" Polynésie française, "988"
 * Nouvelle-Calédonie (the INSEE codes of the overseas collectivités, which
 * have their own gendarmerie commands). "20" is not a code: Corsica has been
 * two départements since 1976.
 *
 * A postal code names a distribution office, not a commune. The mapping is
 * by its leading digits, which is the département of that office: a few
 * communes are served by an office of a neighbouring département and get
 * that département here. Exact routing of those needs the INSEE commune
 * code, which a victim does not know; the jurisdiction data can carry
 * overrides by postal code if a unit asks for one.
 */
#ifndef RELAY48_POSTAL_H
#define RELAY48_POSTAL_H

#include "common.h"

/*
 * Département code of a French postal code (exactly 5 ASCII digits, nothing
 * around them). Returns 0 with the code in `out`, or -1 with `out` = "":
 *   01xxx..19xxx, 21xxx..95xxx  -> the first two digits;
 *   20000..20199                -> "2A" (Corse-du-Sud, Ajaccio 20000/20090);
 *   20200..20699                -> "2B" (Haute-Corse, Bastia 20200/20600);
 *   20700..20999                -> -1 (not allocated);
 *   971xx..976xx                -> "971".."976", except
 *   97133                       -> "977" (Saint-Barthélemy) and
 *   97150                       -> "978" (Saint-Martin): both kept the postal
 *                                  codes they had as communes of Guadeloupe;
 *   986xx, 987xx, 988xx         -> "986", "987", "988";
 *   980xx (Monaco)              -> -1: a sovereign state served by La Poste,
 *                                  not a French département; its police is
 *                                  Monaco's own;
 *   00xxx, 96xxx, 970xx, 977xx..979xx, 981xx..985xx, 989xx, 99xxx -> -1
 *                                  (none is a département; 984 TAAF has no
 *                                  resident population to route).
 */
RELAY_MUSTCHECK int postal_departement(const char *postal_code, char out[4]);

/*
 * French name of a département code ("31" -> "Haute-Garonne", "2A" ->
 * "Corse-du-Sud", "974" -> "La Réunion"), UTF-8; NULL when the code is not
 * one of the codes listed above (lower case "2a" included).
 */
const char *postal_departement_name(const char *code);

/* 0 when `code` is one of the codes listed above, -1 otherwise. */
RELAY_MUSTCHECK int departement_check(const char *code);

#endif
