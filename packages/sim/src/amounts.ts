/** Display conversions for reports: exact integers stay in the report beside these readable values. */
import { DRUG_LIBRARY, NL_PER_ML, PG_PER_MCG, PG_PER_MG, type DrugId } from '@thecal/pump-core';

export type AmountUnit = 'mg' | 'mcg';

export function displayUnitOf(drugId: DrugId | null): AmountUnit {
  return drugId === null ? 'mcg' : DRUG_LIBRARY[drugId].displayUnit;
}

export function pgIn(unit: AmountUnit, pg: number): number {
  return pg / (unit === 'mg' ? PG_PER_MG : PG_PER_MCG);
}

export function nlToMl(nl: number): number {
  return nl / NL_PER_ML;
}
