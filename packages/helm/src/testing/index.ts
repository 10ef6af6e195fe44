export { type ChartRepository, startChartRepository } from './chart-repository.ts'
