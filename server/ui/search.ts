import type { Catalog, CatalogItem } from './catalog.js';

/**
 * The catalog cut to what a search matches, with the ids of the lineage nodes that match (the
 * graph keeps every node and marks these). A query is terms separated by spaces, all of which must
 * match: `owner:<text>` (part of the owner, any case), `tag:<key>` (has the tag), `tag:<key>=<value>`
 * (the tag with that value, any case), and any other text: part of the name or description, any case.
 */
export function searchCatalog(catalog: Catalog, query: string): Catalog & { readonly matches: readonly string[] } {
  const terms = query.trim().split(/\s+/).filter(Boolean).map(parseTerm);
  const matches = (item: CatalogItem): boolean => terms.every((term) => term(item));
  const entities = catalog.entities.filter(matches);
  const sources = catalog.sources.filter(matches);
  const featureViews = catalog.featureViews.filter(matches);
  const featureServices = catalog.featureServices.filter(matches);
  const matched = [...entities, ...sources, ...featureViews, ...featureServices].map((item) => item.node);
  return { ...catalog, entities, sources, featureViews, featureServices, matches: matched };
}

function parseTerm(term: string): (item: CatalogItem) => boolean {
  const lower = term.toLowerCase();
  if (lower.startsWith('owner:')) {
    const owner = lower.slice('owner:'.length);
    return (item) => item.owner !== null && item.owner.toLowerCase().includes(owner);
  }
  if (lower.startsWith('tag:')) {
    const [key, value] = splitOnce(term.slice('tag:'.length), '=');
    return (item) =>
      Object.entries(item.tags).some(
        ([tagKey, tagValue]) =>
          tagKey.toLowerCase() === key.toLowerCase() && (value === undefined || tagValue.toLowerCase() === value.toLowerCase()),
      );
  }
  return (item) => item.name.toLowerCase().includes(lower) || (item.description?.toLowerCase().includes(lower) ?? false);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}
