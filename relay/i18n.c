/* i18n.c — the victim's pages in French and English; see i18n.h. */
#include "i18n.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct text {
    const char *fr, *en;
};

static const struct text texts[M_COUNT] = {
    [M_SERVICE] = {"Signaler une fraude au virement ou à la carte",
                   "Report a transfer or card fraud"},
    [M_SKIP] = {"Aller au contenu", "Skip to content"},
    [M_OTHER_LANG] = {"English", "Français"},
    [M_FOOTER] = {"Votre signalement est transmis aux banques concernées et à la gendarmerie ou "
                  "la police. En cas de danger, appelez le 17 (ou le 112).",
                  "Your report goes to the banks concerned and to the gendarmerie or police. If "
                  "you are in danger, call 17 (or 112)."},
    [M_OPTIONAL] = {"(facultatif)", "(optional)"},
    [M_ERROR_PREFIX] = {"Erreur :", "Error:"},
    [M_BACK_TO_FORM] = {"Retour au formulaire", "Back to the form"},
    [M_NEW_REPORT] = {"Faire un autre signalement", "Make another report"},

    [M_FORM_TITLE] = {"Signaler une fraude", "Report a fraud"},
    [M_FORM_INTRO] = {"De l'argent a quitté votre compte à cause d'une escroquerie ? Pendant "
                      "environ 48 heures, les banques peuvent souvent encore le récupérer ou le "
                      "bloquer. Remplissez ce formulaire tout de suite : nous prévenons votre "
                      "banque, la banque qui a reçu l'argent et la gendarmerie ou la police.",
                      "Has money left your account because of a scam? For about 48 hours, banks "
                      "can often still get it back or freeze it. Fill in this form now: we alert "
                      "your bank, the bank that received the money and the gendarmerie or police."},
    [M_FORM_CHOOSE] = {"Que s'est-il passé ?", "What happened?"},
    [M_PATH_TRANSFER] = {"Un virement est parti de mon compte", "A transfer left my account"},
    [M_PATH_CARD] = {"Ma carte a été utilisée", "My card was used"},
    [M_LEG_TRANSFER] = {"Le virement", "The transfer"},
    [M_L_EXECUTED_AT] = {"Date et heure du virement", "Date and time of the transfer"},
    [M_H_EXECUTED_AT] = {"Heure de France. Vous la trouverez dans l'application ou sur le relevé "
                         "de votre banque. Sinon, donnez l'heure à peu près.",
                         "French time. You will find it in your bank's app or statement. "
                         "Otherwise, give the time roughly."},
    [M_L_AMOUNT] = {"Montant", "Amount"},
    [M_H_AMOUNT] = {"Par exemple : 12500,00", "For example: 12500.00"},
    [M_L_CURRENCY] = {"Monnaie", "Currency"},
    [M_L_RAIL] = {"Type de virement", "Kind of transfer"},
    [M_RAIL_UNKNOWN] = {"Je ne sais pas", "I don't know"},
    [M_RAIL_SCT] = {"Virement classique", "Standard transfer"},
    [M_RAIL_SCT_INST] = {"Virement instantané", "Instant transfer"},
    [M_RAIL_SWIFT] = {"Virement international (hors zone euro)",
                      "International transfer (outside the euro area)"},
    [M_LEG_YOUR_ACCOUNT] = {"Votre compte", "Your account"},
    [M_L_DEBTOR_IBAN] = {"Votre IBAN (le numéro de votre compte)",
                         "Your IBAN (your account number)"},
    [M_H_DEBTOR_IBAN] = {"Il commence par FR76… Il figure sur votre RIB et dans l'application de "
                         "votre banque.",
                         "It starts with two letters, such as FR76… It is on your bank details "
                         "(RIB) and in your bank's app."},
    [M_LEG_BENEFICIARY] = {"Le compte qui a reçu l'argent", "The account that received the money"},
    [M_L_CREDITOR_IBAN] = {"IBAN du bénéficiaire", "Beneficiary's IBAN"},
    [M_H_CREDITOR_IBAN] = {"Le numéro du compte vers lequel l'argent est parti, tel qu'il apparaît "
                           "sur le virement.",
                           "The number of the account the money went to, as shown on the "
                           "transfer."},
    [M_L_CREDITOR_NAME] = {"Nom du bénéficiaire", "Beneficiary's name"},
    [M_H_CREDITOR_NAME] = {"Tel qu'il apparaît sur le virement.", "As shown on the transfer."},
    [M_LEG_YOU] = {"Vous", "You"},
    [M_L_VICTIM_TYPE] = {"Vous êtes", "You are"},
    [M_VT_PERSON] = {"Un particulier", "A private person"},
    [M_VT_COMPANY] = {"Une entreprise ou une association", "A business or an association"},
    [M_VT_PUBLIC] = {"Une mairie ou un autre organisme public",
                     "A town hall or another public body"},
    [M_L_VICTIM_NAME] = {"Votre nom, ou celui de l'entreprise ou de la mairie",
                         "Your name, or the name of the business or town hall"},
    [M_LEG_CONTACT] = {"Comment vous joindre", "How to reach you"},
    [M_L_EMAIL] = {"Adresse e-mail", "E-mail address"},
    [M_L_PHONE] = {"Téléphone", "Phone"},
    [M_H_CONTACT] = {"Donnez au moins l'un des deux : votre banque ou les enquêteurs vous "
                     "rappelleront.",
                     "Give at least one of the two: your bank or the investigators will get back "
                     "to you."},
    [M_L_POSTAL] = {"Code postal", "Postal code"},
    [M_H_POSTAL] = {"Celui de votre domicile ou de votre organisme : il sert à prévenir la "
                    "gendarmerie ou la police de chez vous.",
                    "Of your home or organisation, in France: it tells us which gendarmerie or "
                    "police unit to alert."},
    [M_LEG_WHAT] = {"Ce qui s'est passé", "What happened"},
    [M_L_SCENARIO] = {"Comment l'escroc s'y est-il pris ?", "How did the fraudster do it?"},
    [M_SC_FAKE_ADVISOR] = {"Un faux conseiller de ma banque m'a appelé",
                           "A fake adviser from my bank called me"},
    [M_SC_CEO] = {"Un faux dirigeant a demandé un virement urgent (fraude au président)",
                  "A fake boss asked for an urgent transfer (CEO fraud)"},
    [M_SC_INVOICE] = {"Une fausse facture, ou un fournisseur qui « change de RIB »",
                      "A forged invoice, or a supplier who \"changed bank details\""},
    [M_SC_CYBER] = {"Un faux partenariat de cybersécurité proposé à une collectivité",
                    "A fake cybersecurity partnership offered to a local authority"},
    [M_SC_INVEST] = {"Un faux placement", "A fake investment"},
    [M_SC_OTHER] = {"Autre chose", "Something else"},
    [M_L_NARRATIVE] = {"Racontez en quelques mots", "Tell us in a few words"},
    [M_H_NARRATIVE] = {"Qui vous a contacté, comment, ce qu'on vous a demandé. N'écrivez jamais un "
                       "numéro de carte complet ni un mot de passe.",
                       "Who contacted you, how, what you were asked to do. Never write a full "
                       "card number or a password."},
    [M_L_EVIDENCE] = {"Les e-mails de l'escroc", "The fraudster's e-mails"},
    [M_H_EVIDENCE] = {"Choisissez les fichiers des e-mails. Ils ne sont pas envoyés : seule leur "
                      "empreinte (SHA-256), calculée sur votre appareil, l'est. Elle prouvera plus "
                      "tard qu'ils n'ont pas été modifiés.",
                      "Choose the e-mail files. They are not sent: only their fingerprint "
                      "(SHA-256), worked out on your device, is. It will prove later that they "
                      "were not changed."},
    [M_KEEP_EMAILS] = {"Gardez les e-mails de l'escroc : ne les supprimez pas, les enquêteurs vous "
                       "les demanderont.",
                       "Keep the fraudster's e-mails: do not delete them, the investigators will "
                       "ask for them."},
    [M_EVIDENCE_ADDED] = {"Empreintes ajoutées :", "Fingerprints added:"},
    [M_EVIDENCE_HASH] = {"empreinte", "fingerprint"},
    [M_SUBMIT] = {"Envoyer le signalement", "Send the report"},
    [M_SUBMIT_HINT] = {"Ces informations ne sont transmises qu'aux banques concernées et aux "
                       "forces de l'ordre.",
                       "This information goes only to the banks concerned and to law "
                       "enforcement."},
    [M_LEG_CARD] = {"La carte", "The card"},
    [M_CARD_WARNING] = {"N'écrivez jamais le numéro complet de votre carte, ni le code à 3 "
                        "chiffres au dos, ni votre code secret.",
                        "Never type your full card number, the 3-digit code on the back or your "
                        "PIN."},
    [M_L_CARD_BIN] = {"Les 6 premiers chiffres de la carte", "The first 6 digits of the card"},
    [M_H_CARD_BIN] = {"Seulement les 6 premiers, par exemple 497010.",
                      "Only the first 6, for example 497010."},
    [M_L_CARD_LAST4] = {"Les 4 derniers chiffres de la carte", "The last 4 digits of the card"},
    [M_L_RECEIPT] = {"Numéro de récépissé Perceval", "Perceval receipt number"},
    [M_H_RECEIPT] = {"Si vous avez déjà déclaré la fraude sur Perceval (service-public.fr), le "
                     "numéro de votre récépissé.",
                     "If you already declared the fraud on Perceval (service-public.fr), your "
                     "receipt number."},
    [M_LEG_OPERATION] = {"L'opération que vous n'avez pas faite", "The payment you did not make"},
    [M_H_OPERATION] = {"S'il y en a plusieurs, indiquez la première ici et les autres dans votre "
                       "récit.",
                       "If there were several, give the first one here and the others in your "
                       "account of what happened."},
    [M_L_OP_AT] = {"Date et heure de l'opération", "Date and time of the payment"},
    [M_L_OP_MERCHANT] = {"Nom du commerçant, tel qu'il apparaît sur votre relevé",
                         "Merchant's name, as shown on your statement"},
    [M_L_OP_COUNTRY] = {"Pays du commerçant", "Merchant's country"},
    [M_H_OP_COUNTRY] = {"Code en 2 lettres s'il est indiqué sur le relevé (FR, NL, IE…). Laissez "
                        "FR si vous ne savez pas.",
                        "Two-letter code if your statement shows it (FR, NL, IE…). Leave FR if "
                        "you don't know."},
    [M_L_OP_CHANNEL] = {"Comment la carte a été utilisée", "How the card was used"},
    [M_CH_ONLINE] = {"Paiement sur internet", "Online payment"},
    [M_CH_CONTACTLESS] = {"Paiement sans contact", "Contactless payment"},
    [M_CH_CHIP] = {"Paiement avec le code secret", "Payment with the PIN"},
    [M_CH_ATM] = {"Retrait au distributeur", "Cash withdrawal"},
    [M_CH_OTHER] = {"Autre, ou je ne sais pas", "Other, or I don't know"},

    [M_ERR_SUMMARY_ONE] = {"Il y a un point à corriger", "There is one thing to fix"},
    [M_ERR_SUMMARY_MANY] = {"Il y a {n} points à corriger", "There are {n} things to fix"},
    [M_E_REQUIRED] = {"Remplissez ce champ.", "Fill in this field."},
    [M_E_REQ_EXECUTED_AT] = {"Indiquez la date et l'heure du virement.",
                             "Give the date and time of the transfer."},
    [M_E_REQ_AMOUNT] = {"Indiquez le montant.", "Give the amount."},
    [M_E_REQ_DEBTOR_IBAN] = {"Indiquez votre IBAN : il figure sur votre RIB.",
                             "Give your IBAN: it is on your bank details (RIB)."},
    [M_E_REQ_CREDITOR_IBAN] = {"Indiquez l'IBAN du compte qui a reçu l'argent.",
                               "Give the IBAN of the account that received the money."},
    [M_E_REQ_VICTIM_NAME] = {"Indiquez votre nom, ou celui de l'entreprise ou de la mairie.",
                             "Give your name, or the name of the business or town hall."},
    [M_E_REQ_SCENARIO] = {"Choisissez ce qui s'est passé (ou « Autre chose »).",
                          "Choose what happened (or \"Something else\")."},
    [M_E_REQ_CARD_BIN] = {"Indiquez les 6 premiers chiffres de la carte.",
                          "Give the first 6 digits of the card."},
    [M_E_REQ_CARD_LAST4] = {"Indiquez les 4 derniers chiffres de la carte.",
                            "Give the last 4 digits of the card."},
    [M_E_REQ_OP_AT] = {"Indiquez la date et l'heure de l'opération.",
                       "Give the date and time of the payment."},
    [M_E_REQ_OP_MERCHANT] = {"Indiquez le nom du commerçant tel qu'il apparaît sur votre relevé.",
                             "Give the merchant's name as shown on your statement."},
    [M_E_REQ_OP_COUNTRY] = {"Indiquez le pays du commerçant (laissez FR si vous ne savez pas).",
                            "Give the merchant's country (leave FR if you don't know)."},
    [M_E_CHOOSE] = {"Choisissez une réponse dans la liste.", "Choose an answer from the list."},
    [M_E_IBAN_TOO_LONG] = {"Cet IBAN est trop long : un IBAN a au plus 34 lettres et chiffres.",
                           "This IBAN is too long: an IBAN has at most 34 letters and digits."},
    [M_E_IBAN_BAD_CHAR] = {"Un IBAN ne contient que des lettres et des chiffres : retirez les "
                           "autres signes.",
                           "An IBAN holds only letters and digits: remove the other signs."},
    [M_E_IBAN_COUNTRY] = {"Un IBAN commence par le code du pays, par exemple FR76 pour la France.",
                          "An IBAN starts with the country code, for example FR76 for France."},
    [M_E_IBAN_LENGTH] = {"Un IBAN de ce pays a {n} lettres et chiffres : il en manque ou il y en a "
                         "en trop. Vérifiez-le sur le RIB.",
                         "An IBAN of this country has {n} letters and digits: some are missing or "
                         "there are too many. Check it on the bank details."},
    [M_E_IBAN_CHECK] = {"Cet IBAN n'est pas valide : un caractère est mal recopié. Vérifiez-le sur "
                        "le RIB, en particulier les 4 derniers caractères.",
                        "This IBAN is not valid: a character was copied wrong. Check it on the "
                        "bank details, especially the last 4 characters."},
    [M_E_IBAN_SAME] = {"C'est le même IBAN que le vôtre : indiquez celui du compte qui a reçu "
                       "l'argent.",
                       "This is the same IBAN as yours: give the one of the account that received "
                       "the money."},
    [M_E_AMOUNT] = {"Écrivez le montant en chiffres, avec au plus {n} chiffres après la virgule, "
                    "par exemple 12500,00.",
                    "Write the amount in figures, with at most {n} digits after the decimal "
                    "point, for example 12500.00."},
    [M_E_CURRENCY] = {"Choisissez une monnaie dans la liste.", "Choose a currency from the list."},
    [M_E_TIME] = {"Écrivez la date et l'heure comme ceci : 28/03/2026 10:00.",
                  "Write the date and time like this: 28/03/2026 10:00."},
    [M_E_TIME_FUTURE] = {"Cette date est dans le futur : vérifiez le jour et l'heure.",
                         "This date is in the future: check the day and the time."},
    [M_E_TIME_OLD] = {"Cette date a plus de 13 mois : pour une fraude aussi ancienne, portez "
                      "plainte directement à la gendarmerie ou au commissariat.",
                      "This date is more than 13 months ago: for a fraud that old, file a "
                      "complaint directly with the gendarmerie or police."},
    [M_E_EMAIL] = {"Cette adresse e-mail n'est pas valide : elle doit ressembler à "
                   "nom@exemple.fr.",
                   "This e-mail address is not valid: it should look like name@example.com."},
    [M_E_PHONE] = {"Ce numéro n'est pas valide : écrivez seulement des chiffres, par exemple "
                   "06 12 34 56 78.",
                   "This number is not valid: write only digits, for example +33 6 12 34 56 78."},
    [M_E_NEED_CONTACT] = {"Donnez une adresse e-mail ou un numéro de téléphone pour que l'on "
                          "puisse vous joindre.",
                          "Give an e-mail address or a phone number so that you can be "
                          "reached."},
    [M_E_POSTAL] = {"Un code postal a 5 chiffres, par exemple 31000.",
                    "A French postal code has 5 digits, for example 31000."},
    [M_E_RECEIPT] = {"Un numéro de récépissé ne contient que des lettres, des chiffres, des points "
                     "et des tirets.",
                     "A receipt number holds only letters, digits, dots and hyphens."},
    [M_E_COUNTRY] = {"Écrivez le pays en 2 lettres, par exemple FR.",
                     "Write the country as 2 letters, for example FR."},
    [M_E_EVIDENCE] = {"Une empreinte d'e-mail n'a pas pu être lue : choisissez les fichiers à "
                      "nouveau.",
                      "An e-mail fingerprint could not be read: choose the files again."},
    [M_E_TOO_MANY_EVIDENCE] = {"Choisissez au plus 20 fichiers.", "Choose at most 20 files."},
    [M_E_CHARS] = {"Ce texte contient des caractères qui ne sont pas permis ici : retirez-les.",
                   "This text holds characters that are not allowed here: remove them."},
    [M_E_TOO_LONG] = {"Ce texte est trop long : {n} caractères au plus.",
                      "This text is too long: {n} characters at most."},
    [M_E_PAN_CARD_FIELD] = {"N'écrivez jamais le numéro complet de la carte : seulement les 6 "
                            "premiers chiffres ici, et les 4 derniers dans la case prévue.",
                            "Never type the full card number: only the first 6 digits here, and "
                            "the last 4 in their own box."},
    [M_E_PAN_TEXT] = {"Ce texte contient un numéro de carte complet : retirez-le (il a été masqué "
                      "par des X). Les 4 derniers chiffres suffisent.",
                      "This text holds a full card number: remove it (it was hidden with Xs). "
                      "The last 4 digits are enough."},
    [M_E_BIN] = {"Écrivez les 6 premiers chiffres de la carte, sans espace.",
                 "Write the first 6 digits of the card, without spaces."},
    [M_E_LAST4] = {"Écrivez les 4 derniers chiffres de la carte.",
                   "Write the last 4 digits of the card."},
    [M_E_UNREADABLE] = {"Cette information n'a pas pu être lue : vérifiez-la.",
                        "This could not be read: check it."},
    [M_NOTICE_EXPIRED] = {"Cette page est restée ouverte longtemps. Vos informations sont "
                          "ci-dessous : vérifiez-les et envoyez à nouveau.",
                          "This page was open for a long time. Your details are below: check "
                          "them and send again."},
    [M_NOTICE_CONFLICT] = {"Ce formulaire avait déjà été envoyé avec d'autres informations. Pour "
                           "faire un nouveau signalement, vérifiez les informations ci-dessous et "
                           "envoyez à nouveau.",
                           "This form had already been sent with other details. To make a new "
                           "report, check the details below and send again."},
    [M_NOTICE_REJECTED] = {"Ce signalement n'a pas pu être enregistré tel quel. Si vous avez "
                           "indiqué un numéro de récépissé Perceval, il a peut-être déjà été "
                           "signalé : retirez-le et envoyez à nouveau.",
                           "This report could not be recorded as it is. If you gave a Perceval "
                           "receipt number, it may have been reported already: remove it and send "
                           "again."},

    [M_CASE_TITLE] = {"Votre signalement est enregistré", "Your report is recorded"},
    [M_CASE_REF] = {"Numéro de dossier :", "Case number:"},
    [M_CASE_KEEP] = {"Gardez cette page (ajoutez-la à vos favoris) : son adresse est le seul moyen "
                     "de la retrouver.",
                     "Keep this page (bookmark it): its address is the only way back to it."},
    [M_CASE_DEADLINE] = {"Les banques peuvent encore récupérer ou bloquer l'argent jusqu'au",
                         "The banks can still get the money back or freeze it until"},
    [M_CASE_DEADLINE_CARD] = {"Votre banque peut encore agir vite jusqu'au",
                              "Your bank can still act quickly until"},
    [M_PARIS_TIME] = {"(heure de Paris)", "(Paris time)"},
    [M_TIME_LEFT] = {"Temps restant :", "Time left:"},
    [M_COMPUTED_AT] = {"Calculé le", "Worked out on"},
    [M_RELOAD] = {"Rechargez la page pour le mettre à jour.", "Reload the page to update it."},
    [M_WINDOW_PASSED_TITLE] = {"Le délai urgent est passé", "The urgent window has passed"},
    [M_WINDOW_PASSED] = {"Le délai d'environ 48 heures pendant lequel les banques peuvent "
                         "récupérer ou bloquer l'argent s'est terminé le",
                         "The window of about 48 hours in which banks can get the money back or "
                         "freeze it ended on"},
    [M_WINDOW_PASSED_NEXT] = {"Votre signalement est tout de même transmis : la police le reçoit "
                              "comme une plainte. Il reste possible de porter plainte, de demander "
                              "à votre banque de contester l'opération, et de garder toutes les "
                              "preuves.",
                              "Your report is passed on all the same: the police receive it as a "
                              "complaint. You can still file a complaint, ask your bank to dispute "
                              "the payment, and keep all the evidence."},
    [M_STATE_RESOLVED] = {"Les banques ont répondu et ce dossier n'est plus urgent : lisez leurs "
                          "réponses ci-dessous.",
                          "The banks have answered and this case is no longer urgent: read their "
                          "answers below."},
    [M_TODO_TITLE] = {"Ce qu'il faut faire maintenant", "What to do now"},
    [M_TODO_BANK] = {"Appelez tout de suite le service fraude de votre banque (numéro dans "
                     "l'application ou au dos de votre carte) et demandez le rappel du virement.",
                     "Call your bank's fraud line now (number in the app or on the back of your "
                     "card) and ask them to recall the transfer."},
    [M_TODO_BANK_CARD] = {"Appelez tout de suite le service fraude de votre banque et contestez "
                          "les opérations que vous n'avez pas faites.",
                          "Call your bank's fraud line now and dispute the payments you did not "
                          "make."},
    [M_TODO_POLICE] = {"Portez plainte à la gendarmerie ou au commissariat le plus proche. Le "
                       "délai est court : dites que c'est urgent, un référent pour les fraudes en "
                       "ligne prendra votre plainte. Donnez votre numéro de dossier.",
                       "File a complaint at the nearest gendarmerie or police station. Time is "
                       "short: say it is urgent, an officer trained for online fraud will take "
                       "it. Give your case number."},
    [M_TODO_EMAILS] = {"Gardez les e-mails de l'escroc. Ne cliquez pas sur leurs liens et ne "
                       "répondez pas à l'escroc.",
                       "Keep the fraudster's e-mails. Do not click their links and do not answer "
                       "the fraudster."},
    [M_TODO_BLOCK] = {"Faites opposition sur la carte pour la bloquer : appelez votre banque, ou "
                      "le 0 892 705 705 (jour et nuit).",
                      "Block the card (opposition): call your bank, or +33 892 705 705 (day and "
                      "night)."},
    [M_STATUS_TITLE] = {"Les réponses des banques et de la police",
                        "What the banks and the police answered"},
    [M_PARTY_DEBTOR_BANK] = {"Votre banque", "Your bank"},
    [M_PARTY_CREDITOR_BANK] = {"La banque qui a reçu l'argent", "The bank that received the money"},
    [M_PARTY_ISSUER] = {"La banque de votre carte", "Your card's bank"},
    [M_PARTY_POLICE] = {"Gendarmerie et police", "Gendarmerie and police"},
    [M_PARTY_OTHER_BANK] = {"Une autre banque", "Another bank"},
    [M_POLICE_NATIONAL] = {"service national", "national unit"},
    [M_ALERTED_AT] = {"Alertée le", "Alerted on"},
    [M_NOT_ALERTED_YET] = {"Pas encore alertée : elle le sera avant la fin du délai si l'argent "
                           "n'est pas bloqué.",
                           "Not alerted yet: it will be before the window ends if the money is "
                           "not frozen."},
    [M_NO_ANSWER] = {"Pas encore de réponse.", "No answer yet."},
    [M_BANK_UNKNOWN] = {"banque non identifiée", "bank not identified"},
    [M_ACK_RECEIVED] = {"A bien reçu l'alerte.", "Has received the alert."},
    [M_ACK_RECALL_REQUESTED] = {"A demandé le rappel du virement.",
                                "Has asked for the transfer to be recalled."},
    [M_ACK_FUNDS_FROZEN] = {"A bloqué l'argent.", "Has frozen the money."},
    [M_ACK_FUNDS_RETURNED] = {"A rendu l'argent.", "Has returned the money."},
    [M_ACK_NO_FUNDS] = {"N'a plus trouvé d'argent sur le compte.",
                        "Found no money left on the account."},
    [M_ACK_REJECTED] = {"Ne peut pas agir sur ce dossier.", "Cannot act on this case."},
    [M_ACK_TOO_LATE] = {"N'a pas pu agir à temps.", "Could not act in time."},
    [M_ACK_OTHER] = {"A répondu.", "Has answered."},
    [M_ACK_AMOUNT] = {"Montant :", "Amount:"},
    [M_SUM_TRANSFER] = {"Virement de", "Transfer of"},
    [M_SUM_CARD] = {"Opérations par carte, en tout", "Card payments, in all"},
    [M_SUM_ON] = {"le", "on"},

    [M_NOTFOUND_TITLE] = {"Page introuvable", "Page not found"},
    [M_NOTFOUND_CASE] = {"Ce dossier n'existe pas, ou le lien est incomplet. Utilisez le lien "
                         "complet reçu après votre signalement.",
                         "This case does not exist, or the link is incomplete. Use the full link "
                         "you got after your report."},
    [M_FORBIDDEN_TITLE] = {"Envoi refusé", "Sending refused"},
    [M_FORBIDDEN_ORIGIN] = {"Ce formulaire doit être envoyé depuis la page du service. Ouvrez-la "
                            "à nouveau et recommencez.",
                            "This form must be sent from the service's own page. Open it again "
                            "and start over."},
    [M_RATE_TITLE] = {"Trop d'envois", "Too many submissions"},
    [M_RATE_BODY] = {"Beaucoup de formulaires ont été envoyés depuis votre connexion en peu de "
                     "temps. Réessayez dans {n} secondes.",
                     "Many forms were sent from your connection in a short time. Try again in "
                     "{n} seconds."},
    [M_UNAVAILABLE_TITLE] = {"Service momentanément indisponible",
                             "Service unavailable for a moment"},
    [M_UNAVAILABLE_REPORT] = {"Votre signalement n'a pas pu être enregistré. Réessayez dans "
                              "quelques instants en renvoyant le formulaire. Si c'est urgent, "
                              "appelez dès maintenant votre banque.",
                              "Your report could not be recorded. Try again in a moment by "
                              "sending the form again. If it is urgent, call your bank now."},
    [M_UNAVAILABLE_PAGE] = {"Cette page n'a pas pu être affichée. Réessayez dans quelques "
                            "instants.",
                            "This page could not be shown. Try again in a moment."},
    [M_UNAVAILABLE_LINK] = {"Votre signalement est enregistré, mais sa page de suivi n'a pas pu "
                            "être créée. Renvoyez le formulaire dans quelques instants : il ne "
                            "sera pas compté deux fois.",
                            "Your report is recorded, but its follow-up page could not be made. "
                            "Send the form again in a moment: it will not be counted twice."},
    [M_TOO_LARGE_TITLE] = {"Formulaire trop long", "Form too long"},
    [M_TOO_LARGE] = {"Le formulaire envoyé est trop long. Raccourcissez votre récit et "
                     "réessayez.",
                     "The form you sent is too long. Shorten your account and try again."},
    [M_BAD_REQUEST_TITLE] = {"Formulaire illisible", "Form could not be read"},
    [M_BAD_REQUEST] = {"Le formulaire n'a pas pu être lu. Ouvrez à nouveau la page et "
                       "recommencez.",
                       "The form could not be read. Open the page again and start over."},
};

const char *i18n_code(enum lang l)
{
    return l == LANG_EN ? "en" : "fr";
}

const char *i18n(enum lang l, enum msg m)
{
    if ((int)m < 0 || m >= M_COUNT)
        return "";
    const struct text *t = &texts[m];
    const char *s = l == LANG_EN ? t->en : t->fr;
    if (!s)
        s = t->fr;
    return s ? s : "";
}

/* "fr", "FR-ca", "en_GB" -> the language; -1 for anything else. */
static int lang_of_tag(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n < 2 || (n > 2 && s[2] != '-' && s[2] != '_'))
        return -1;
    if (strncasecmp(s, "fr", 2) == 0)
        return LANG_FR;
    if (strncasecmp(s, "en", 2) == 0)
        return LANG_EN;
    return -1;
}

/* q=0.8 -> 800; a missing or malformed q is 1000 (RFC 9110 defaults). */
static int quality(const char *s, size_t n)
{
    const char *q = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if ((s[i] == 'q' || s[i] == 'Q') && s[i + 1] == '=') {
            q = s + i + 2;
            n -= i + 2;
            break;
        }
    }
    if (!q)
        return 1000;
    if (n == 0 || (q[0] != '0' && q[0] != '1'))
        return 1000;
    int v = (q[0] - '0') * 1000;
    if (n > 1 && q[1] == '.') {
        int scale = 100;
        for (size_t i = 2; i < n && i < 5 && q[i] >= '0' && q[i] <= '9'; i++) {
            v += (q[i] - '0') * scale;
            scale /= 10;
        }
    }
    return v > 1000 ? 1000 : v;
}

enum lang i18n_negotiate(const char *query_lang, const char *accept_language)
{
    if (query_lang && *query_lang) {
        int l = lang_of_tag(query_lang, strlen(query_lang));
        if (l >= 0)
            return (enum lang)l;
    }
    if (!accept_language)
        return LANG_FR;
    int best = -1, best_q = 0;
    const char *p = accept_language;
    /* Bounded: a header is at most http.header_limit bytes, and each byte
     * is looked at a few times. */
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *semi = memchr(p, ';', n);
        size_t tag_len = semi ? (size_t)(semi - p) : n;
        int l = lang_of_tag(p, tag_len);
        int q = semi ? quality(semi + 1, n - tag_len - 1) : 1000;
        if (l >= 0 && q > best_q) {
            best = l;
            best_q = q;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return best >= 0 ? (enum lang)best : LANG_FR;
}

int i18n_format(enum lang l, enum msg m, int64_t n, char *out, size_t out_size)
{
    if (!out || out_size == 0)
        return -1;
    const char *s = i18n(l, m);
    const char *at = strstr(s, "{n}");
    int w;
    if (!at)
        w = snprintf(out, out_size, "%s", s);
    else
        w = snprintf(out, out_size, "%.*s%" PRId64 "%s", (int)(at - s), s, n, at + 3);
    return w >= 0 && (size_t)w < out_size ? 0 : -1;
}
