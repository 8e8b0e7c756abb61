/*
 * postal.c — French postal code -> département; see postal.h.
 */
#include "postal.h"

#include <assert.h>
#include <string.h>

struct departement {
    const char *code;
    const char *name;
};

/* The codes postal_departement can return, with their names (INSEE). */
static const struct departement departements[] = {
    {"01", "Ain"},
    {"02", "Aisne"},
    {"03", "Allier"},
    {"04", "Alpes-de-Haute-Provence"},
    {"05", "Hautes-Alpes"},
    {"06", "Alpes-Maritimes"},
    {"07", "Ardèche"},
    {"08", "Ardennes"},
    {"09", "Ariège"},
    {"10", "Aube"},
    {"11", "Aude"},
    {"12", "Aveyron"},
    {"13", "Bouches-du-Rhône"},
    {"14", "Calvados"},
    {"15", "Cantal"},
    {"16", "Charente"},
    {"17", "Charente-Maritime"},
    {"18", "Cher"},
    {"19", "Corrèze"},
    {"2A", "Corse-du-Sud"},
    {"2B", "Haute-Corse"},
    {"21", "Côte-d'Or"},
    {"22", "Côtes-d'Armor"},
    {"23", "Creuse"},
    {"24", "Dordogne"},
    {"25", "Doubs"},
    {"26", "Drôme"},
    {"27", "Eure"},
    {"28", "Eure-et-Loir"},
    {"29", "Finistère"},
    {"30", "Gard"},
    {"31", "Haute-Garonne"},
    {"32", "Gers"},
    {"33", "Gironde"},
    {"34", "Hérault"},
    {"35", "Ille-et-Vilaine"},
    {"36", "Indre"},
    {"37", "Indre-et-Loire"},
    {"38", "Isère"},
    {"39", "Jura"},
    {"40", "Landes"},
    {"41", "Loir-et-Cher"},
    {"42", "Loire"},
    {"43", "Haute-Loire"},
    {"44", "Loire-Atlantique"},
    {"45", "Loiret"},
    {"46", "Lot"},
    {"47", "Lot-et-Garonne"},
    {"48", "Lozère"},
    {"49", "Maine-et-Loire"},
    {"50", "Manche"},
    {"51", "Marne"},
    {"52", "Haute-Marne"},
    {"53", "Mayenne"},
    {"54", "Meurthe-et-Moselle"},
    {"55", "Meuse"},
    {"56", "Morbihan"},
    {"57", "Moselle"},
    {"58", "Nièvre"},
    {"59", "Nord"},
    {"60", "Oise"},
    {"61", "Orne"},
    {"62", "Pas-de-Calais"},
    {"63", "Puy-de-Dôme"},
    {"64", "Pyrénées-Atlantiques"},
    {"65", "Hautes-Pyrénées"},
    {"66", "Pyrénées-Orientales"},
    {"67", "Bas-Rhin"},
    {"68", "Haut-Rhin"},
    {"69", "Rhône"},
    {"70", "Haute-Saône"},
    {"71", "Saône-et-Loire"},
    {"72", "Sarthe"},
    {"73", "Savoie"},
    {"74", "Haute-Savoie"},
    {"75", "Paris"},
    {"76", "Seine-Maritime"},
    {"77", "Seine-et-Marne"},
    {"78", "Yvelines"},
    {"79", "Deux-Sèvres"},
    {"80", "Somme"},
    {"81", "Tarn"},
    {"82", "Tarn-et-Garonne"},
    {"83", "Var"},
    {"84", "Vaucluse"},
    {"85", "Vendée"},
    {"86", "Vienne"},
    {"87", "Haute-Vienne"},
    {"88", "Vosges"},
    {"89", "Yonne"},
    {"90", "Territoire de Belfort"},
    {"91", "Essonne"},
    {"92", "Hauts-de-Seine"},
    {"93", "Seine-Saint-Denis"},
    {"94", "Val-de-Marne"},
    {"95", "Val-d'Oise"},
    {"971", "Guadeloupe"},
    {"972", "Martinique"},
    {"973", "Guyane"},
    {"974", "La Réunion"},
    {"975", "Saint-Pierre-et-Miquelon"},
    {"976", "Mayotte"},
    {"977", "Saint-Barthélemy"},
    {"978", "Saint-Martin"},
    {"986", "Wallis-et-Futuna"},
    {"987", "Polynésie française"},
    {"988", "Nouvelle-Calédonie"},
};

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const struct departement *departement_find(const char *code)
{
    if (code == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < RELAY_ARRAY_LEN(departements); i++) {
        if (strcmp(code, departements[i].code) == 0) {
            return &departements[i];
        }
    }
    return NULL;
}

static int set_code(char out[4], const char *code)
{
    /* Every code returned must be in the table: one list, one truth. */
    assert(departement_find(code) != NULL);
    memcpy(out, code, strlen(code) + 1);
    return 0;
}

int postal_departement(const char *postal_code, char out[4])
{
    int n;

    assert(out != NULL);
    out[0] = '\0';
    if (postal_code == NULL) {
        return -1;
    }
    for (int i = 0; i < 5; i++) {
        if (!is_digit(postal_code[i])) {
            return -1;
        }
    }
    if (postal_code[5] != '\0') {
        return -1;
    }
    n = (postal_code[0] - '0') * 10000 + (postal_code[1] - '0') * 1000 +
        (postal_code[2] - '0') * 100 + (postal_code[3] - '0') * 10 + (postal_code[4] - '0');

    if (n < 1000) {
        return -1; /* 00xxx: no département 00 */
    }
    if (n >= 20000 && n < 21000) {
        if (n < 20200) {
            return set_code(out, "2A");
        }
        if (n < 20700) {
            return set_code(out, "2B");
        }
        return -1;
    }
    if (n < 96000) {
        char code[3] = {postal_code[0], postal_code[1], '\0'};

        return set_code(out, code);
    }
    if (n == 97133) {
        return set_code(out, "977");
    }
    if (n == 97150) {
        return set_code(out, "978");
    }
    if ((n >= 97100 && n < 97700) || (n >= 98600 && n < 98900)) {
        char code[4] = {postal_code[0], postal_code[1], postal_code[2], '\0'};

        return set_code(out, code);
    }
    return -1;
}

const char *postal_departement_name(const char *code)
{
    const struct departement *d = departement_find(code);

    return d == NULL ? NULL : d->name;
}

int departement_check(const char *code)
{
    return departement_find(code) == NULL ? -1 : 0;
}
