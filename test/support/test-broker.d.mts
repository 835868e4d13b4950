export declare const TEST_BROKER_PORT: number;
export declare const TEST_BROKER: string;
export declare function startBroker(): Promise<void>;
export declare function stopBroker(options?: { kill?: boolean }): Promise<void>;
export declare function brokerIsUp(): Promise<boolean>;
