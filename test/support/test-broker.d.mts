export declare const TEST_BROKER_PORT: number;
export declare const TEST_BROKER: string;
export declare const PROXIED_LISTENER_PORT: number;
export declare const PROXIED_BROKER_PORT: number;
export declare const PROXIED_BROKER: string;
export declare function startBroker(): Promise<void>;
export declare function stopBroker(options?: { kill?: boolean }): Promise<void>;
export declare function brokerIsUp(): Promise<boolean>;
