import { PointsEntry } from '../../entities';
import { connectionTypes } from '../shared/relay';

export const { ConnectionType: PointsEntryConnection } = connectionTypes(PointsEntry);
