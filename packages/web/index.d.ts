export declare const webRoot: URL;
