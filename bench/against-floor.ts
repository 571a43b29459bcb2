/**
 * Our figures set against the HTTP floor of the same run, the same way for the embedded and the
 * cluster benchmark: CPU per application over 20 bare calls, the insurer calls actually made, and
 * the offer figures from the sandbox's record.
 */
import type { HttpFloor } from './http-floor';
import type { LoadResult } from './load';
import { insurerCalls, offerFigures, type OfferFigures } from './offer-lag';

// an application needs at least a create and one poll at each of the ten insurers
const FLOOR_CALLS_PER_APPLICATION = 20;

export interface AgainstFloor extends OfferFigures {
  floorCpuUsPerCall: number;
  floorWallUsPerCall: number;
  floorCallsMeasured: number;
  floorMsPerApplication: number;
  cpuToFloorRatio: number;
  insurerCallsPerApplication: number;
}

/** Counts the sandbox's calls from now; `settle` turns the load into figures against the floor. */
export async function startCountingCalls(sandboxBase: string) {
  const before = await insurerCalls(sandboxBase);
  return {
    async settle(floor: HttpFloor, cpuMsPerApplication: number, load: LoadResult, completed: number): Promise<AgainstFloor> {
      const callsMade = (await insurerCalls(sandboxBase)) - before;
      const floorMsPerApplication = +((FLOOR_CALLS_PER_APPLICATION * floor.cpuUsPerCall) / 1000).toFixed(2);
      return {
        floorCpuUsPerCall: floor.cpuUsPerCall,
        floorWallUsPerCall: floor.wallUsPerCall,
        floorCallsMeasured: floor.calls,
        floorMsPerApplication,
        cpuToFloorRatio: +(cpuMsPerApplication / floorMsPerApplication).toFixed(1),
        insurerCallsPerApplication: +(callsMade / Math.max(1, completed)).toFixed(1),
        ...(await offerFigures(sandboxBase, load.applications)),
      };
    },
  };
}

/** The row cells both benchmarks' tables share, from CPU ms/app to the first offer. */
export function floorCells(cpuMsPerApplication: number, f: AgainstFloor): (string | number)[] {
  return [
    cpuMsPerApplication,
    f.floorMsPerApplication,
    `${f.cpuToFloorRatio}×`,
    f.insurerCallsPerApplication,
    `${f.offerLagP50Ms} / ${f.offerLagP99Ms} ms`,
    f.pollsPerQuote,
    `${f.firstOfferP50Ms} / ${f.firstOfferP99Ms} ms`,
  ];
}
