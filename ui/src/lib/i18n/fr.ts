import type { MessageKey } from './en';

// Chaînes françaises. Chaque clé de en.ts doit être ici : le type l'impose.
export const fr: Record<MessageKey, string> = {
  'app.name': 'Relay',
  'app.tagline': 'Campagnes WhatsApp et SMS proactives pour Zendesk',
  'app.loading': 'Ouverture de votre espace de travail…',

  'nav.label': 'Navigation principale',
  'nav.templates': 'Modèles',
  'nav.campaigns': 'Campagnes',
  'nav.settings': 'Paramètres',
  'nav.integrations': 'Intégrations',
  'nav.shortcut': 'Raccourci : {keys}',
  'nav.workspace.connected': 'Espace de travail : {subdomain}',
  'nav.workspace.incomplete': 'Espace de travail : {subdomain} (configuration incomplète)',
  'nav.workspace.none': 'Aucun espace de travail connecté',

  'firstRun.title': 'Bienvenue dans Relay',
  'firstRun.lead':
    'Envoyez des messages WhatsApp et SMS proactifs à vos utilisateurs Zendesk via Sunshine Conversations, sans jamais contacter deux fois la même personne.',
  'firstRun.point.templates': 'Concevez vos modèles hors ligne, avec des aperçus WhatsApp et SMS en direct.',
  'firstRun.point.audience': 'Choisissez votre audience avec la syntaxe de recherche Zendesk que vous connaissez déjà.',
  'firstRun.point.send': 'Envoyez à un rythme sûr en arrière-plan ; un plantage ou un redémarrage ne fait rien perdre.',
  'firstRun.setup': 'Configurer mon espace de travail',
  'firstRun.setupHint':
    'Il vous faudra votre sous-domaine Zendesk, un token API administrateur et une clé API Sunshine Conversations.',
  'firstRun.later': "D'abord faire le tour",
  'firstRun.demo': "Essayer l'espace de démonstration",
  'firstRun.demoHint':
    'Un simulateur local de Zendesk et Sunshine Conversations avec 1 000 utilisateurs fictifs : rien ne quitte votre ordinateur.',
  'firstRun.demoStarting': 'Démarrage de la démo…',
  'firstRun.language': 'Langue',

  'demo.badge': 'Démo',
  'demo.explain': "Espace de démonstration : des utilisateurs fictifs sur un simulateur local. Rien n'est envoyé nulle part.",
  'demo.leave': 'Quitter la démo',

  'templates.title': 'Modèles',
  'templates.empty.title': 'Aucun modèle pour le moment',
  'templates.empty.connect':
    'Connectez votre espace de travail dans les Paramètres : Relay listera ici vos modèles WhatsApp et SMS.',
  'templates.empty.connected': 'Votre espace de travail est connecté. Vos modèles seront listés ici.',
  'campaigns.title': 'Campagnes',
  'campaigns.empty.title': 'Aucune campagne pour le moment',
  'campaigns.empty.body':
    'Chaque campagne envoyée sera listée ici, avec son rapport par destinataire.',
  'empty.openSettings': 'Ouvrir les Paramètres',

  'settings.title': 'Paramètres',
  'settings.lead':
    'Les secrets sont conservés dans le trousseau du système ; Relay sait seulement si chacun est défini.',
  'settings.save': 'Enregistrer les paramètres',
  'settings.saving': 'Enregistrement…',
  'settings.saved': 'Paramètres enregistrés.',
  'settings.unsaved': 'Vous avez des modifications non enregistrées.',
  'settings.errorSummary': "Rien n'a été enregistré : {count} champ(s) à corriger.",
  'settings.shortcutSave': 'Ctrl+S enregistre',

  'connection.title': 'Connexion',
  'connection.lead': 'Vérifie Zendesk et Sunshine Conversations avec les paramètres enregistrés, chacun séparément.',
  'connection.test': 'Tester la connexion',
  'connection.testing': 'Test en cours…',
  'connection.ok': 'Tout fonctionne : cet espace de travail peut envoyer.',
  'connection.failed': 'Des vérifications ont échoué : corrigez ce qui est signalé, enregistrez et testez à nouveau.',
  'connection.check.zendesk_reachable': 'Zendesk joignable',
  'connection.check.zendesk_token': 'Token API Zendesk',
  'connection.check.zendesk_access': "Autorisé à envoyer",
  'connection.check.sunshine_key': 'Clé API Sunshine Conversations',
  'connection.check.integrations': 'Intégrations WhatsApp et SMS',
  'connection.status.ok': 'OK',
  'connection.status.failed': 'Échec',
  'connection.status.skipped': 'Non vérifié',

  'integrations.title': 'Intégrations',
  'integrations.lead':
    "Les canaux WhatsApp, Twilio et MessageBird de votre application Sunshine Conversations, et le rythme d'envoi de Relay pour chacun.",
  'integrations.loading': 'Chargement des intégrations…',
  'integrations.empty':
    "Cette application n'a aucune intégration WhatsApp, Twilio ou MessageBird. Ajoutez-en une dans le Centre d'administration → Canaux, puis rechargez.",
  'integrations.reload': 'Recharger',
  'integrations.type': 'Type',
  'integrations.name': 'Nom',
  'integrations.sender': 'Numéro ou expéditeur',
  'integrations.status': 'Statut',
  'integrations.rate': 'Messages par seconde',
  'integrations.rateHelp': 'WhatsApp permet 80 par seconde et plus ; les fournisseurs SMS en général moins. 1 000 au maximum.',
  'integrations.save': 'Enregistrer les rythmes',
  'integrations.saved': "Rythmes d'envoi enregistrés.",
  'integrations.notConfigured': "Connectez d'abord votre espace de travail dans les Paramètres.",
  'integrations.kind.whatsapp': 'WhatsApp',
  'integrations.kind.twilio': 'SMS Twilio',
  'integrations.kind.messagebird': 'SMS MessageBird',
  'integrations.noSender': "(non fourni par l'API)",

  'settings.access.loadGroups': 'Choisir des groupes dans Zendesk',
  'settings.access.loadingGroups': 'Chargement des groupes…',

  'settings.zendesk.title': 'Zendesk',
  'settings.zendesk.subdomain': 'Sous-domaine',
  'settings.zendesk.subdomain.help': 'La partie avant .zendesk.com, par exemple acme.',
  'settings.zendesk.email': "E-mail de l'administrateur",
  'settings.zendesk.email.help': "L'e-mail de l'administrateur Zendesk qui a créé le token API.",
  'settings.zendesk.token': 'Token API',
  'settings.zendesk.token.help': "Centre d'administration → Applications et intégrations → API → API Zendesk.",
  'settings.zendesk.customUrl': 'URL de base personnalisée (bac à sable local uniquement)',
  'settings.zendesk.customUrl.help':
    'Laissez vide pour https://{subdomain}.zendesk.com. Seules les adresses de bouclage sont acceptées.',

  'settings.sunshine.title': 'Sunshine Conversations',
  'settings.sunshine.appId': "ID de l'application",
  'settings.sunshine.appId.help': "Centre d'administration → Applications et intégrations → API Conversations.",
  'settings.sunshine.keyId': 'ID de la clé',
  'settings.sunshine.keySecret': 'Clé secrète',
  'settings.sunshine.token': "Ou collez le token d'autorisation en base64",
  'settings.sunshine.token.help':
    'Le token créé avec echo -n "ID_CLÉ:SECRET" | base64. Relay le décode : l\'ID de la clé va ci-dessus, le secret dans le trousseau.',
  'settings.sunshine.token.apply': 'Utiliser le token',
  'settings.sunshine.token.applied': 'Token décodé : ID de la clé et secret enregistrés.',
  'settings.sunshine.host': "Hôte de l'API",
  'settings.sunshine.host.zendesk': 'Zendesk ({subdomain}.zendesk.com/sc)',
  'settings.sunshine.host.us': 'Ancien hôte États-Unis (api.smooch.io)',
  'settings.sunshine.host.eu': 'Ancien hôte UE (api.eu-1.smooch.io)',
  'settings.sunshine.host.custom': 'Personnalisé (bac à sable local uniquement)',
  'settings.sunshine.customUrl': 'URL de base personnalisée',
  'settings.sunshine.customUrl.help':
    'Par exemple http://127.0.0.1:8787/sc. Seules les adresses de bouclage sont acceptées.',
  'settings.sunshine.namespace': 'Espace de nommage WhatsApp (facultatif)',
  'settings.sunshine.namespace.help': 'WhatsApp Manager → Modèles de message → Namespace.',

  'settings.sending.title': 'Envoi',
  'settings.sending.blackout': 'Jours de blackout',
  'settings.sending.blackout.help':
    'Personne ne reçoit deux fois le même message pendant ce nombre de jours. 0 désactive le blackout ; 365 au maximum.',
  'settings.sending.country': 'Pays par défaut des numéros de téléphone',
  'settings.sending.country.help':
    'Code à deux lettres (FR, US, BR…) utilisé pour les numéros écrits sans +. Laissez vide pour exiger le +.',
  'settings.sending.rate': "Rythme d'envoi par défaut (messages par seconde)",
  'settings.sending.rate.help':
    "Utilisé pour les intégrations sans rythme propre. De 1 à 1 000 ; WhatsApp permet 80 et plus.",
  'settings.sending.rates': 'Rythme par intégration',
  'settings.sending.rates.help':
    "ID de l'intégration et son rythme. La liste des intégrations le remplira une fois l'espace de travail connecté.",
  'settings.sending.rates.id': "ID de l'intégration",
  'settings.sending.rates.rate': 'Messages par seconde',
  'settings.sending.rates.add': 'Ajouter un rythme',
  'settings.sending.rates.remove': 'Supprimer le rythme de {id}',
  'settings.sending.rates.none': 'Aucun rythme propre : chaque intégration utilise le rythme par défaut.',

  'settings.access.title': 'Qui peut envoyer',
  'settings.access.lead': 'Ne cochez rien et laissez vide pour autoriser tous les agents connectés.',
  'settings.access.roles': 'Rôles autorisés',
  'settings.access.role.admin': 'Administrateurs',
  'settings.access.role.agent': 'Agents',
  'settings.access.customRoles': 'ID des rôles personnalisés',
  'settings.access.customRoles.help': 'Nombres séparés par des virgules (rôles personnalisés Enterprise).',
  'settings.access.groups': 'ID des groupes autorisés',
  'settings.access.groups.help':
    "ID de groupes séparés par des virgules (Centre d'administration → Personnes → Groupes).",

  'settings.appearance.title': 'Apparence',
  'settings.appearance.language': 'Langue',
  'settings.appearance.language.system': 'Comme le système',
  'settings.appearance.theme': 'Thème',
  'settings.appearance.theme.system': 'Comme le système',
  'settings.appearance.theme.light': 'Clair',
  'settings.appearance.theme.dark': 'Sombre',

  'settings.about.title': 'À propos de cette installation',
  'settings.about.version': 'Version',
  'settings.about.dataDir': 'Dossier de données',
  'settings.about.database': 'Base de données',
  'settings.about.schema': 'Version du schéma',
  'settings.about.settingsFile': 'Fichier de paramètres',
  'settings.about.logFile': 'Fichier journal',

  'secret.set': 'Défini',
  'secret.notSet': 'Non défini',
  'secret.placeholder.replace': 'Collez une nouvelle valeur pour le remplacer',
  'secret.placeholder.new': 'Collez la valeur',
  'secret.save': 'Enregistrer dans le trousseau',
  'secret.clear': 'Effacer',
  'secret.saved': '{name} enregistré dans le trousseau.',
  'secret.cleared': '{name} supprimé du trousseau.',

  'lang.en': 'English',
  'lang.fr': 'Français',

  'error.title': 'Un problème est survenu',
  'error.fatal.title': "Relay n'a pas pu ouvrir cet espace de travail",
  'error.dismiss': 'Fermer',
  'error.retry': 'Réessayer',
  'error.unexpected': 'Erreur inattendue : {message}. Merci de la signaler avec le fichier journal.',
};
